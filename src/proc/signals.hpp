#pragma once
// Signal plumbing shared by the master and its children. The master never runs handlers: it
// blocks the signals it acts on and reads them one at a time from a signalfd, so a signal never
// interrupts it halfway through a step. Private to proc/.
#include <csignal>
#include <string>

namespace zfpm::proc {

// SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2.
sigset_t master_signals();

// Blocks master_signals() on the calling thread (they stay pending until taken).
void block_master_signals();
// In a new child: the master's signals back to their default action (still blocked).
void reset_signal_dispositions();
// Unblocks every signal on the calling thread (threads started later inherit it).
void unblock_signals();

// "SIGSEGV", as php-fpm names signals in its log (fpm_signals.c fpm_signal_names).
std::string signal_name(int signal);

}  // namespace zfpm::proc
