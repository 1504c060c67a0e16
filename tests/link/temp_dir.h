// Transitional: jrcp_server_test.cpp (being edited by another helper of issue 11) still
// includes this; its TempDir is tests/support/temp_dir.h. Delete once that file includes
// "support/temp_dir.h" and says sx::testing::TempDir.
#pragma once

#include "support/temp_dir.h"

namespace sx::link::test {
using sx::testing::TempDir;
}  // namespace sx::link::test
