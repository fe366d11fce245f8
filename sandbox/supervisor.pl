# ToolForge sandbox supervisor: the container's main process. It runs the container's jobs one after
# another, EACH IN A FRESH RUNNER PROCESS (sandbox/runner.mjs), clears everything a job left before
# the next one starts, and keeps the deadlines that hold inside the container even when no host
# process is left to kill it. No forged code ever runs in this process.
#
#   perl supervisor.pl IDLE_MS MAX_JOB_MS ACCEPT_MS MAX_JOBS [SCRATCH_DIR ...]
#
# Why Perl: this process boots before every cold job's runner, and under gVisor with the CPU quota a
# second node boot cost ~0.4 s of a ~0.6 s cold start; perl boots in ~35 ms. Perl is on every
# Debian/Ubuntu host (perl-base is Essential) and in node:20-slim. The script uses only Perl's
# built-in functions (no module is loaded), so the image needs the perl binary and nothing else.
# test/unit/sandbox-supervisor.test.ts compiles it under `use strict; use warnings`.
#
# Protocol (host <-> this process, over the container's stdin/stdout/stderr)
#   1. It starts a runner and, once the runner has booted, prints READY_MARKER on stdout.
#   2. The host writes `TOOLFORGE_DEADLINE <ms> <nonce>` and then the job line. The job line goes to
#      the runner's stdin unchanged; the nonce never reaches the runner (or the module).
#   3. The runner's stdout and stderr are relayed while the job runs, and the host's answers to the
#      runner's outside requests (ctx.fetch) are passed to the runner's stdin: each is one line,
#      `TOOLFORGE_ANSWER <nonce> <json>`, of which the runner gets `<json>` (an answer for another
#      job's nonce, or one that arrives between jobs — late, its runner gone — is dropped).
#      Passing them on never blocks: a runner that does not read its stdin holds up only its answers.
#   4. When the runner has ended, its
#      processes are gone and the scratch directories are empty, it prints
#      `\nTOOLFORGE_END <nonce> <status>` on stdout AND stderr (status: the runner's exit code, or
#      128 + signal). Only this process knows the nonce, so nothing a job left can fake the end of
#      its output or the start of the next job's. Then it starts the next runner (back to 1).
# Deadlines (exit codes pinned by test/unit/sandbox-supervisor.test.ts to src/sandbox/deadline.ts):
#   - no job within IDLE_MS of READY: exit IDLE_EXIT_CODE; after MAX_JOBS jobs, or when ACCEPT_MS of
#     this process's life have passed, no next runner is started: exit RETIRED_EXIT_CODE;
#   - a job still running at min(<ms>, MAX_JOB_MS) + DEADLINE_GRACE_MS after its deadline line (the
#     host's own kill normally comes first): its processes are killed, exit DEADLINE_EXIT_CODE;
#   - stdin closed at any time (the host's attach is gone: the server died): exit ABANDONED_EXIT_CODE.
# It is the container's PID 1: it reaps every process that ends up as its child, and when it exits
# the kernel ends everything left in the container.
#
# What a job cannot leave for the next one (docs/sandbox.md, "Isolation between jobs"):
#   - memory, module variables, timers, promises: each job is a new node process;
#   - processes: the runner is PID 1 of a new PID namespace, and when it ends the kernel kills every
#     process of that namespace (a detached child, a daemon, a spinning grandchild);
#   - System V IPC and POSIX message queues (reachable from native code, which a module can load):
#     each job has a new IPC namespace, gone with its processes;
#   - files: the scratch directories (/tmp and /dev/shm, the only writable places) are emptied by the
#     job's launcher once its runner has ended, and checked empty from here before the next runner
#     starts; if anything is left, the container ends (fail closed).
# The namespaces come from a user namespace the job's launcher creates as the unprivileged user (no
# capability is needed). Where user namespaces are refused (e.g. runc's default seccomp profile),
# the job runs without them and the container ends after that one job.
#
# Why a separate process, and why root: the module runs in the runner and is hostile. It can block
# the runner's event loop (Atomics.wait, a busy loop) and unref its timers, and a process of the
# same user can be stopped (SIGSTOP). So this process runs as root with only SETUID, SETGID and KILL
# (the container spec drops everything else) and starts each job as RUNNER_UID:RUNNER_GID in its own
# process group and PID namespace: the job cannot even name this process, and signals to it would be
# refused (EPERM).

my $READY_MARKER = "TOOLFORGE_READY\n";
# ---- pinned by test/unit/sandbox-supervisor.test.ts to src/sandbox/deadline.ts ----------------
my $DEADLINE_LINE_PREFIX = "TOOLFORGE_DEADLINE ";
my $END_LINE_PREFIX = "TOOLFORGE_END ";
my $ANSWER_LINE_PREFIX = "TOOLFORGE_ANSWER ";
my $RETIRED_EXIT_CODE = 122;
my $IDLE_EXIT_CODE = 123;
my $DEADLINE_EXIT_CODE = 124;
my $ABANDONED_EXIT_CODE = 125;
my $DEADLINE_GRACE_MS = 1000;
my $STARTUP_TIMEOUT_MS = 60000;
my $RUNNER_UID = 1000;
my $RUNNER_GID = 1000;
# ------------------------------------------------------------------------------------------------
my $PROTOCOL_EXIT_CODE = 2;
my $RUNNER_FAILED_EXIT_CODE = 70;
my $LEFTOVER_EXIT_CODE = 71;
my $WIPE_FAILED_EXIT_CODE = 72;
# After the runner ends, how long its output pipes may stay open (only a process of the job could
# keep them open, and the kernel has killed them all).
my $DRAIN_MS = 2000;
my $MAX_CONTROL_LINE = 96;
# The host sends the job line (passed on as it comes) and then at most a few answers at a time.
my $MAX_PENDING_INPUT = 16 << 20;

# errno and flags (the same on x86_64 and aarch64); syscall numbers per architecture
my ($EINTR, $EAGAIN) = (4, 11);
my ($WNOHANG, $F_SETFL, $O_NONBLOCK, $PR_SET_DUMPABLE) = (1, 4, 2048, 4);
my ($CLONE_NEWIPC, $CLONE_NEWUSER, $CLONE_NEWPID) = (0x08000000, 0x10000000, 0x20000000);
my %SYSCALLS = (
  62  => { setgroups => 116, setresuid => 117, setresgid => 119, unshare => 272, prctl => 157 },    # x86_64
  183 => { setgroups => 159, setresuid => 147, setresgid => 149, unshare => 97,  prctl => 167 },    # aarch64
);

my ($script_dir) = $0 =~ m{^(.*)/[^/]*$};
my $RUNNER = (defined $script_dir ? $script_dir : ".") . "/runner.mjs";
my $NODE = find_node();
my $PATH_FOR_JOBS = "/usr/local/bin:/usr/bin:/bin";

my ($IDLE_MS, $MAX_JOB_MS, $ACCEPT_MS, $MAX_JOBS, @SCRATCH) = @ARGV;
for my $n ($IDLE_MS, $MAX_JOB_MS, $ACCEPT_MS, $MAX_JOBS) {
  usage() unless defined $n && $n =~ /^[1-9][0-9]{0,9}$/;
}
for my $dir (@SCRATCH) { usage() unless $dir =~ m{^/} && -d $dir }

my $IS_ROOT = $> == 0;
my $STARTED_MS = now_ms();
my $ACCEPT_UNTIL_MS = $STARTED_MS + $ACCEPT_MS;

$SIG{PIPE} = 'IGNORE';
pipe(my $wake_r, my $wake_w) or die "toolforge supervisor: pipe: $!\n";
fcntl($wake_w, $F_SETFL, $O_NONBLOCK);
$SIG{CHLD} = sub { syswrite($wake_w, "c") };

# The current job: its launcher and runner, pipes, and what is known about it.
my %job;
my $jobs_taken = 0;
my $pending = "";    # bytes from the host not yet consumed
my $stdin_open = 1;
my $to_runner = "";    # bytes for the runner's stdin, written as it reads
my $answer = "";       # within an answer line: 'forward' (this job's) or 'drop'; else ""


main();

sub main {
  launch_runner();
  for (;;) {
    my $now = now_ms();
    check_deadlines($now);
    my $rin = "";
    vec($rin, fileno(STDIN), 1) = 1 if $stdin_open;
    vec($rin, fileno($wake_r), 1) = 1;
    for my $fh (grep { defined } @job{qw(out_r err_r ctl_r)}) { vec($rin, fileno($fh), 1) = 1 }
    my $win = "";
    vec($win, fileno($job{in_w}), 1) = 1 if defined $job{in_w} && length($to_runner) > 0;
    my $n = select(my $rout = $rin, my $wout = $win, undef, next_timeout($now));
    if ($n < 0) {
      next if $! == $EINTR;
      finish($RUNNER_FAILED_EXIT_CODE, "select failed: $!");
    }
    next if $n == 0;
    if (vec($rout, fileno($wake_r), 1)) { sysread($wake_r, my $ignored, 64) }
    reap_children();
    read_ctl() if defined $job{ctl_r} && vec($rout, fileno($job{ctl_r}), 1);
    relay('out_r', \*STDOUT) if defined $job{out_r} && vec($rout, fileno($job{out_r}), 1);
    relay('err_r', \*STDERR) if defined $job{err_r} && vec($rout, fileno($job{err_r}), 1);
    read_host() if $stdin_open && vec($rout, fileno(STDIN), 1);
    write_runner() if defined $job{in_w} && length($to_runner) > 0 && vec($wout, fileno($job{in_w}), 1);
    advance();
  }
}

# ---------------------------------------------------------------------------------------- states

sub advance {
  my $state = $job{state};
  if ($state eq 'booting') {
    if ($job{booted} && defined $job{runner_pid}) {
      $job{state} = 'idle';
      my $idle_until = now_ms() + $IDLE_MS;
      $job{idle_until} = $idle_until < $ACCEPT_UNTIL_MS ? $idle_until : $ACCEPT_UNTIL_MS;
      write_all(\*STDOUT, $READY_MARKER) or abandon();
      consume_input();
    } elsif (!$job{launcher_pid}) {
      finish($RUNNER_FAILED_EXIT_CODE, "the runner ended before it was ready (status $job{status})");
    }
  } elsif ($state eq 'idle' || $state eq 'forwarding') {
    consume_input();
    if (!$job{launcher_pid} && $job{state} eq 'idle') {
      finish($RUNNER_FAILED_EXIT_CODE, "the runner ended while waiting for its job (status $job{status})");
    }
    if (!$job{launcher_pid} && $job{state} ne 'idle') { start_draining() }
  } elsif ($state eq 'running') {
    consume_input();
    start_draining() unless $job{launcher_pid};
  } else {
    consume_input();    # between jobs: only late answers, dropped
  }
  if ($job{state} eq 'draining' && !defined $job{out_r} && !defined $job{err_r}) { end_job() }
}

sub start_draining {
  $job{state} = 'draining';
  $job{drain_until} = now_ms() + $DRAIN_MS;
  close_fh('in_w');
  $to_runner = "";
  $answer = 'drop' if $answer eq 'forward';    # the rest of an answer whose runner is gone
}

sub end_job {
  my $status = $job{status};
  my $nonce = $job{nonce};
  my $namespaced = $job{namespaced};
  check_scratch_empty() if $namespaced;
  my $line = "\n$END_LINE_PREFIX$nonce $status\n";
  write_all(\*STDOUT, $line) && write_all(\*STDERR, $line) or abandon();
  # Without the namespaces, what the job left cannot be cleared: this container takes no other job.
  finish($RETIRED_EXIT_CODE) unless $namespaced;
  finish($RETIRED_EXIT_CODE) if $jobs_taken >= $MAX_JOBS || now_ms() >= $ACCEPT_UNTIL_MS;
  launch_runner();
}

sub check_deadlines {
  my ($now) = @_;
  my $state = $job{state};
  if ($state eq 'booting' && $now >= $job{boot_until}) {
    finish($RUNNER_FAILED_EXIT_CODE, "the runner was not ready within $STARTUP_TIMEOUT_MS ms");
  }
  # Nothing waits past the accept time: the container's lifetime (on its label) counts on it.
  finish($RETIRED_EXIT_CODE) if $state eq 'booting' && $now >= $ACCEPT_UNTIL_MS;
  finish($IDLE_EXIT_CODE) if $state eq 'idle' && $now >= $job{idle_until};
  finish($DEADLINE_EXIT_CODE) if ($state eq 'forwarding' || $state eq 'running') && $now >= $job{deadline};
  if ($state eq 'draining' && $now >= $job{drain_until}) {
    finish($LEFTOVER_EXIT_CODE, "the job's output stayed open after its runner ended: a process of the job survived");
  }
}

sub next_timeout {
  my ($now) = @_;
  my $state = $job{state};
  my $until =
      $state eq 'booting' ? ($job{boot_until} < $ACCEPT_UNTIL_MS ? $job{boot_until} : $ACCEPT_UNTIL_MS)
    : $state eq 'idle' ? $job{idle_until}
    : $state eq 'draining' ? $job{drain_until}
    : $job{deadline};
  my $ms = $until - $now;
  $ms = 0 if $ms < 0;
  $ms = 1000 if $ms > 1000;    # /proc/uptime is re-read at least once a second
  return ($ms + 10) / 1000;
}

# ---------------------------------------------------------------------------------- host input

sub read_host {
  my $n = sysread(STDIN, my $chunk, 65536);
  if (!defined $n) {
    return if $! == $EAGAIN || $! == $EINTR;
    abandon();
  }
  abandon() if $n == 0;
  $pending .= $chunk;
  finish($PROTOCOL_EXIT_CODE, "the host sent more than it may before a job ends") if length($pending) > $MAX_PENDING_INPUT;
}

sub consume_input {
  for (;;) {
    my $state = $job{state};
    if ($answer ne '') {
      # Within an answer line: pass this job's on as it comes, drop another's, up to its newline.
      return if length($pending) == 0;
      my $newline = index($pending, "\n");
      my $part = $newline < 0 ? $pending : substr($pending, 0, $newline + 1);
      $pending = $newline < 0 ? "" : substr($pending, $newline + 1);
      to_runner($part) if $answer eq 'forward';
      $answer = '' if $newline >= 0;
      next;
    }
    if ($state eq 'forwarding') {
      # The job line, passed on as it comes; the job runs once its newline has passed.
      return if length($pending) == 0;
      my $newline = index($pending, "\n");
      my $part = $newline < 0 ? $pending : substr($pending, 0, $newline + 1);
      $pending = $newline < 0 ? "" : substr($pending, $newline + 1);
      to_runner($part);
      return if $newline < 0;
      $job{state} = 'running';
      next;
    }
    return if length($pending) == 0;
    if (starts_as($pending, $ANSWER_LINE_PREFIX)) {
      # An answer: this job's (running, its nonce) goes to the runner; any other is late: dropped.
      my $head = length($ANSWER_LINE_PREFIX) + 65;
      my $space = index($pending, " ", length($ANSWER_LINE_PREFIX));
      if ($space < 0) {
        finish($PROTOCOL_EXIT_CODE, "an answer line has no nonce") if length($pending) > $head;
        return;
      }
      my $nonce = substr($pending, length($ANSWER_LINE_PREFIX), $space - length($ANSWER_LINE_PREFIX));
      $pending = substr($pending, $space + 1);
      $answer = ($state eq 'running' && defined $job{nonce} && $nonce eq $job{nonce}) ? 'forward' : 'drop';
      next;
    }
    return unless $state eq 'idle';
    my $newline = index($pending, "\n");
    if ($newline < 0) {
      finish($PROTOCOL_EXIT_CODE, "the first line is too long for a deadline") if length($pending) > $MAX_CONTROL_LINE;
      return;
    }
    my $line = substr($pending, 0, $newline);
    $pending = substr($pending, $newline + 1);
    my ($ms, $nonce) = $line =~ /^\Q$DEADLINE_LINE_PREFIX\E([0-9]{1,9}) ([0-9a-f]{16,64})$/;
    finish($PROTOCOL_EXIT_CODE, "the first line is not a deadline") unless defined $nonce;
    $ms = $MAX_JOB_MS if $ms > $MAX_JOB_MS;
    $job{deadline} = now_ms() + $ms + $DEADLINE_GRACE_MS;
    $job{nonce} = $nonce;
    $jobs_taken++;
    $job{state} = 'forwarding';
  }
}

# True when $text begins with $prefix (or, while $text is shorter, when $prefix begins with $text).
sub starts_as {
  my ($text, $prefix) = @_;
  my $n = length($text) < length($prefix) ? length($text) : length($prefix);
  return substr($text, 0, $n) eq substr($prefix, 0, $n);
}

sub to_runner {
  my ($bytes) = @_;
  return unless defined $job{in_w};
  $to_runner .= $bytes;
  write_runner();
}

# Writes what the runner's stdin takes now (it is non-blocking); the rest waits for select.
sub write_runner {
  while (length($to_runner) > 0) {
    my $n = syswrite($job{in_w}, $to_runner);
    if (defined $n) {
      substr($to_runner, 0, $n) = "";
      next;
    }
    return if $! == $EAGAIN || $! == $EINTR;
    # A runner that died meanwhile refuses the write (EPIPE): its end is reported all the same.
    $to_runner = "";
    close_fh('in_w');
    return;
  }
}

# ------------------------------------------------------------------------------------ the runner

sub launch_runner {
  my ($in_r, $in_w, $out_r, $out_w, $err_r, $err_w, $ctl_r, $ctl_w);
  pipe($in_r, $in_w) && pipe($out_r, $out_w) && pipe($err_r, $err_w) && pipe($ctl_r, $ctl_w)
    or finish($RUNNER_FAILED_EXIT_CODE, "pipe: $!");
  my $pid = fork();
  finish($RUNNER_FAILED_EXIT_CODE, "fork: $!") unless defined $pid;
  if ($pid == 0) {
    close($_) for ($in_w, $out_r, $err_r, $ctl_r, $wake_r, $wake_w);
    launcher($in_r, $out_w, $err_w, $ctl_w);
  }
  close($_) for ($in_r, $out_w, $err_w, $ctl_w);
  fcntl($in_w, $F_SETFL, $O_NONBLOCK);
  %job = (
    state => 'booting',
    launcher_pid => $pid,
    in_w => $in_w,
    out_r => $out_r,
    err_r => $err_r,
    ctl_r => $ctl_r,
    boot_until => now_ms() + $STARTUP_TIMEOUT_MS,
    boot_output => "",
    booted => 0,
    status => -1,
  );
}

# In the child: become the unprivileged user, create the job's namespaces, start the runner as PID 1
# of the new PID namespace, report its pid, wait for it (the kernel ends the rest of the job with
# it), empty the scratch directories, and exit with the runner's status. Never returns.
sub launcher {
  my ($in_r, $out_w, $err_w, $ctl_w) = @_;
  $SIG{CHLD} = 'DEFAULT';
  open(STDIN, '<&', $in_r) && open(STDOUT, '>&', $out_w) && open(STDERR, '>&', $err_w) or launch_failed("dup: $!");
  close($_) for ($in_r, $out_w, $err_w);
  my $calls = syscalls();
  drop_privileges($calls) if $IS_ROOT;
  my $namespaced = enter_namespaces($calls);
  chdir('/tmp') or chdir('/');
  my $pid = fork();
  launch_failed("fork: $!") unless defined $pid;
  if ($pid == 0) {
    close($ctl_w);
    setpgrp(0, 0);    # the job's own process group: a signal to "its group" reaches only the job
    $SIG{PIPE} = 'DEFAULT';
    %ENV = (PATH => $PATH_FOR_JOBS, HOME => '/');
    # One V8 worker thread, not four: the container has half a CPU, and under gVisor each thread's
    # start is costly system calls (about 6-12% less CPU per job, measured in a running sandbox).
    { exec { $NODE } 'node', '--v8-pool-size=1', $RUNNER }
    syswrite(STDERR, "toolforge supervisor: could not start $NODE: $!\n");
    exit(127);
  }
  close(STDIN);
  close(STDOUT);
  close(STDERR);
  syswrite($ctl_w, "$pid $namespaced\n");
  close($ctl_w);
  waitpid($pid, 0);
  my $status = exit_status($?);
  empty_dir($_) for ($namespaced ? @SCRATCH : ());
  exit($status);
}

sub launch_failed {
  my ($why) = @_;
  syswrite(STDERR, "toolforge supervisor: could not start the runner: $why\n");
  exit($RUNNER_FAILED_EXIT_CODE);
}

sub drop_privileges {
  my ($calls) = @_;
  launch_failed("unsupported architecture (no syscall numbers for it)") unless $calls;
  syscall($calls->{setgroups}, 1, pack("L", $RUNNER_GID)) == 0 or launch_failed("setgroups: $!");
  syscall($calls->{setresgid}, $RUNNER_GID, $RUNNER_GID, $RUNNER_GID) == 0 or launch_failed("setresgid: $!");
  syscall($calls->{setresuid}, $RUNNER_UID, $RUNNER_UID, $RUNNER_UID) == 0 or launch_failed("setresuid: $!");
  my ($uids) = read_file('/proc/self/status') =~ /^Uid:\s+(.*)$/m;
  launch_failed("the runner's user ids are not all $RUNNER_UID: $uids") unless join(' ', split(' ', $uids)) eq join(' ', ($RUNNER_UID) x 4);
  # Changing from root made this process undumpable, which leaves its /proc/self files to root: the
  # user namespace's maps could not be written. It holds nothing of the host's.
  syscall($calls->{prctl}, $PR_SET_DUMPABLE, 1, 0, 0, 0) == 0 or launch_failed("prctl: $!");
}

# A user namespace (allowed without capabilities) that owns a new IPC and a new PID namespace; the
# unprivileged user maps only to itself. Returns 0 when the kernel refuses them.
sub enter_namespaces {
  my ($calls) = @_;
  return 0 unless $calls;
  my ($uid, $gid) = ($<, (split ' ', $()[0]);
  return 0 unless syscall($calls->{unshare}, $CLONE_NEWUSER | $CLONE_NEWIPC | $CLONE_NEWPID) == 0;
  # gVisor has no setgroups file (nor a way to call setgroups in the namespace anyway).
  if (-e '/proc/self/setgroups') { write_file('/proc/self/setgroups', "deny") or launch_failed("setgroups deny: $!") }
  write_file('/proc/self/uid_map', "$uid $uid 1\n") or launch_failed("uid_map: $!");
  write_file('/proc/self/gid_map', "$gid $gid 1\n") or launch_failed("gid_map: $!");
  return 1;
}

sub syscalls {
  open(my $exe, '<', '/proc/self/exe') or return undef;
  my $header = "";
  sysread($exe, $header, 20);
  close($exe);
  return undef unless length($header) == 20 && substr($header, 0, 4) eq "\x7fELF";
  return $SYSCALLS{ unpack("v", substr($header, 18, 2)) };
}

sub read_ctl {
  my $n = sysread($job{ctl_r}, my $chunk, 256);
  if (defined $n && $n > 0) {
    $job{ctl} .= $chunk;
    if ($job{ctl} =~ /^([0-9]+) ([01])\n/) {
      $job{runner_pid} = $1;
      $job{namespaced} = $2;
      close_fh('ctl_r');
    }
    return;
  }
  return if !defined $n && ($! == $EAGAIN || $! == $EINTR);
  close_fh('ctl_r');
}

sub relay {
  my ($key, $to) = @_;
  my $n = sysread($job{$key}, my $chunk, 65536);
  if (!defined $n) {
    return if $! == $EAGAIN || $! == $EINTR;
    $n = 0;
  }
  if ($n == 0) {
    close_fh($key);
    return;
  }
  if ($key eq 'out_r' && $job{state} eq 'booting' && !$job{booted}) {
    # The runner's first line is its READY (written before any job, so before any module code).
    $job{boot_output} .= $chunk;
    if (length($job{boot_output}) >= length($READY_MARKER)) {
      finish($RUNNER_FAILED_EXIT_CODE, "the runner did not start with its READY line")
        unless substr($job{boot_output}, 0, length($READY_MARKER)) eq $READY_MARKER;
      $job{booted} = 1;
    }
    return;
  }
  write_all($to, $chunk) or abandon();
}

sub reap_children {
  for (;;) {
    my $pid = waitpid(-1, $WNOHANG);
    last if $pid <= 0;
    if ($job{launcher_pid} && $pid == $job{launcher_pid}) {
      $job{status} = exit_status($?);
      $job{launcher_pid} = 0;
    }
  }
}

sub stop_job {
  kill('KILL', $job{runner_pid}) if $job{runner_pid};
  kill('KILL', $job{launcher_pid}) if $job{launcher_pid};
}

# ---------------------------------------------------------------------------------- scratch dirs

# The launcher emptied the scratch directories as the job's user (root here has no capability to
# enter the job's own 0700 directories): check from here that nothing is left. Fails closed.
sub check_scratch_empty {
  for my $dir (@SCRATCH) {
    opendir(my $handle, $dir) or finish($WIPE_FAILED_EXIT_CODE, "cannot read $dir: $!");
    my @left = grep { $_ ne '.' && $_ ne '..' } readdir($handle);
    closedir($handle);
    finish($WIPE_FAILED_EXIT_CODE, "$dir is not empty after the job: @left[0 .. ($#left < 4 ? $#left : 4)]") if @left;
  }
}

sub empty_dir {
  my ($dir) = @_;
  opendir(my $handle, $dir) or return 0;
  my @names = grep { $_ ne '.' && $_ ne '..' } readdir($handle);
  closedir($handle);
  my $ok = 1;
  for my $name (@names) {
    my $path = "$dir/$name";
    next unless lstat($path);
    if (-d _) {
      chmod(0700, $path);
      $ok = 0 unless empty_dir($path);
      rmdir($path) or $ok = 0;
    } else {
      unlink($path) or $ok = 0;
    }
  }
  return $ok;
}

# --------------------------------------------------------------------------------------- helpers

sub write_all {
  my ($fh, $data) = @_;
  my $offset = 0;
  while ($offset < length($data)) {
    my $n = syswrite($fh, $data, length($data) - $offset, $offset);
    if (defined $n) { $offset += $n; next }
    return 0 unless $! == $EAGAIN || $! == $EINTR;
    my $win = "";
    vec($win, fileno($fh), 1) = 1;
    select(undef, $win, undef, 0.05);
  }
  return 1;
}

sub close_fh {
  my ($key) = @_;
  close($job{$key}) if defined $job{$key};
  $job{$key} = undef;
}

sub exit_status {
  my ($wait) = @_;
  return 128 + ($wait & 127) if $wait & 127;
  return $wait >> 8;
}

sub now_ms {
  open(my $fh, '<', '/proc/uptime') or return time() * 1000;
  my $line = <$fh>;
  close($fh);
  my ($seconds) = split(' ', $line);
  return int($seconds * 1000);
}

sub read_file {
  my ($path) = @_;
  open(my $fh, '<', $path) or return "";
  local $/;
  my $text = <$fh>;
  close($fh);
  return $text;
}

sub write_file {
  my ($path, $text) = @_;
  open(my $fh, '>', $path) or return 0;
  my $ok = syswrite($fh, $text);
  close($fh) or $ok = 0;
  return $ok;
}

sub find_node {
  for my $dir (split(/:/, $ENV{PATH} || ""), "/usr/local/bin", "/usr/bin", "/bin") {
    return "$dir/node" if length($dir) && -f "$dir/node" && -x _;
  }
  return "/usr/bin/node";
}

# The host went away (its attach closed): nobody will hand a job over or read an answer.
sub abandon { finish($ABANDONED_EXIT_CODE) }

sub finish {
  my ($code, $why) = @_;
  stop_job();
  syswrite(STDERR, "toolforge supervisor: $why\n") if defined $why;
  exit($code);
}

sub usage {
  syswrite(STDERR, "toolforge supervisor: usage: perl supervisor.pl IDLE_MS MAX_JOB_MS ACCEPT_MS MAX_JOBS [SCRATCH_DIR ...]\n");
  exit($PROTOCOL_EXIT_CODE);
}
