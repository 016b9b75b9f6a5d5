// Catch2's runner, compiled once for the whole suite. `ae_tests --kill-resume-child ...` runs the
// training run that kill_resume_test.cpp kills instead (kill_resume_child.cpp).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstring>

int kill_resume_child_main(int argc, char** argv);

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "--kill-resume-child") == 0)
        return kill_resume_child_main(argc - 1, argv + 1);
    return Catch::Session().run(argc, argv);
}
