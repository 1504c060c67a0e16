// The whole CLI as a function (main() only forwards), so tests can run it in process.
#pragma once

namespace sx::cli {

int run(int argc, char** argv);

}  // namespace sx::cli
