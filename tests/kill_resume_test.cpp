// Kill and resume: a training run in a child process (kill_resume_child.cpp, run as
// `ae_tests --kill-resume-child`, this same program from /proc/self/exe) is SIGKILLed at seeded random moments, some mid-epoch and
// some while a checkpoint is being written (right after its temporary file appears, seen with
// inotify). After every kill each checkpoint under a final name must load, and the newest one
// must not go backwards; the run is then resumed. Once it finishes, its final weights must be
// bit-identical to those of an uninterrupted run.
#include <signal.h>
#include <spawn.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <poll.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "ae/io/checkpoint_file.hpp"
#include "ae/io/model_file.hpp"
#include "ae/training/model_checkpoint.hpp"
#include "test_support.hpp"

extern char** environ;

using namespace ae;
using namespace ae::testing;
namespace fs = std::filesystem;

namespace {

constexpr int kill_resume_epochs = 24;

// Start the child on `folder` (stdout and stderr to folder/log.txt, appended).
pid_t kill_resume_spawn(const std::string& folder) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const std::string log = folder + "/log.txt";
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const std::string epochs = std::to_string(kill_resume_epochs);
    static const std::string self = fs::read_symlink("/proc/self/exe").string();
    char child_flag[] = "--kill-resume-child";
    std::vector<char*> argv{const_cast<char*>(self.c_str()), child_flag, const_cast<char*>(folder.c_str()),
                            const_cast<char*>(epochs.c_str()), nullptr};
    setenv("OMP_NUM_THREADS", "1", 1);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
    return pid;
}

// Wait for the child; true when it was killed by SIGKILL, false when it exited (status 0 required).
bool kill_resume_reap(pid_t pid) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) {
        REQUIRE(WTERMSIG(status) == SIGKILL);
        return true;
    }
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    return false;
}

// Block until a ".tmp" file is created in the watched folder, or the timeout; true if one was.
bool kill_resume_wait_for_temp(int inotify_fd, int timeout_ms) {
    alignas(inotify_event) char buf[4096];
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{inotify_fd, POLLIN, 0};
        if (poll(&p, 1, int(left.count())) <= 0) return false;
        const ssize_t n = read(inotify_fd, buf, sizeof buf);
        for (ssize_t off = 0; off < n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
            const std::string name = ev->len ? ev->name : "";
            if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) return true;
            off += ssize_t(sizeof(inotify_event) + ev->len);
        }
    }
}

std::vector<Matrix<float>> kill_resume_final_weights(const std::string& folder) {
    // Hold the model: parameters() returns views into it (a temporary model would be freed
    // before the loop reads them; ASan found this).
    const auto model = load<float>(folder + "/final.aem");
    std::vector<Matrix<float>> w;
    for (auto& p : model->parameters()) w.push_back(*p.value);
    return w;
}

}  // namespace

TEST_CASE("kill and resume: a run SIGKILLed mid-epoch and mid-checkpoint-write resumes to bit-identical weights",
          "[checkpoint][kill]") {
    const std::string reference = fresh_dir("kill_resume_test", "reference");
    const std::string run = fresh_dir("kill_resume_test", "killed");
    const std::string pattern = run + "/ckpt-{epoch}.aec";

    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE_FALSE(kill_resume_reap(kill_resume_spawn(reference)));
    const double full_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double epoch_ms = 1000.0 * full_seconds / kill_resume_epochs;

    const int inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    REQUIRE(inotify_fd >= 0);
    REQUIRE(inotify_add_watch(inotify_fd, run.c_str(), IN_CREATE) >= 0);

    Rng rng(2024);
    int kills = 0, mid_write = 0, temps_seen = 0, finished_early = 0;
    int newest = 0;
    const int attempts = 10;
    for (int k = 0; k < attempts; ++k) {
        // Drain events from the previous run.
        char drain[4096];
        while (read(inotify_fd, drain, sizeof drain) > 0) {
        }
        const pid_t pid = kill_resume_spawn(run);
        const bool at_write = k % 2 == 1;
        if (at_write) {
            // Kill as soon as the 1st or 2nd checkpoint's temporary file appears (its write is
            // under way), so that the run also makes progress between kills.
            const int writes = 1 + int(rng.uniform_index(2));
            bool seen = true;
            for (int w = 0; w < writes && seen; ++w) seen = kill_resume_wait_for_temp(inotify_fd, 20000);
            if (seen) ++mid_write;
        } else {
            // Kill at a random moment: startup or anywhere within the next few epochs.
            const double ms = rng.uniform(0.3, 4.0) * epoch_ms;
            std::this_thread::sleep_for(std::chrono::microseconds(long(ms * 1000)));
        }
        kill(pid, SIGKILL);
        if (!kill_resume_reap(pid)) {
            ++finished_early;
            break;
        }
        ++kills;

        // Every checkpoint under a final name is complete and loads; the newest never goes back.
        int latest_epoch = 0;
        for (auto& e : fs::directory_iterator(run)) {
            const std::string name = e.path().filename().string();
            if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) {
                ++temps_seen;
                continue;
            }
            if (name.rfind("ckpt-", 0) != 0) continue;
            INFO("after kill " << kills << ": " << name);
            const Checkpoint<float> c = load_checkpoint<float>(e.path().string());
            REQUIRE(load<float>(e.path().string())->parameters().size() == 6);
            latest_epoch = std::max(latest_epoch, c.epochs_done);
        }
        const std::string latest = latest_checkpoint(pattern);
        if (!latest.empty()) REQUIRE(load_checkpoint<float>(latest).epochs_done == latest_epoch);
        REQUIRE(latest_epoch >= newest);
        newest = latest_epoch;
    }
    close(inotify_fd);

    // Resume to the end, then compare with the uninterrupted run.
    if (!fs::exists(run + "/final.aem")) REQUIRE_FALSE(kill_resume_reap(kill_resume_spawn(run)));
    const auto expected = kill_resume_final_weights(reference);
    const auto got = kill_resume_final_weights(run);
    REQUIRE(got.size() == expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("parameter " << i);
        REQUIRE(std::memcmp(got[i].data(), expected[i].data(), sizeof(float) * std::size_t(got[i].size())) == 0);
    }
    std::printf("kill and resume: %d kills survived (%d right after a checkpoint's temporary file appeared, "
                "%d leftover temporary files seen), %d epochs of about %.0f ms, final weights bit-identical\n",
                kills, mid_write, temps_seen, kill_resume_epochs, epoch_ms);
    REQUIRE(kills >= 5);
    REQUIRE(mid_write >= 2);
    REQUIRE(finished_early == 0);
}
