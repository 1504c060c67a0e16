#include "cli/app.h"

int main(int argc, char** argv) { return sx::cli::run(argc, argv); }
