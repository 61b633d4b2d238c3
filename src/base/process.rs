//! The plugin's child processes, as a shell handles jobs: a process group of one's own, the
//! terminal's foreground, signals passed on, a stop that reaches everything a command started, and
//! its exit status as a shell reports it. Nothing here knows of requests or the cluster.

use std::time::Duration;

/// How long a command has to exit after SIGTERM before it is killed.
pub const GRACE: Duration = Duration::from_secs(10);

/// Puts the command in a process group of its own, so that stopping it reaches everything it
/// started (a shell's `kubectl port-forward`, say). On a terminal the group is made the
/// terminal's foreground group, as a shell does for a job, so that it reads the keyboard and
/// gets Ctrl-C; [`Foreground::restore`] gives the terminal back afterwards.
pub fn own_group(command: &mut tokio::process::Command) -> Foreground {
    #[cfg(unix)]
    {
        let on_terminal = unsafe { libc::isatty(0) } == 1;
        #[cfg(target_os = "linux")]
        let plugin = unsafe { libc::getpid() };
        // SAFETY: only async-signal-safe calls (prctl, getppid, _exit, signal, setpgid, tcsetpgrp)
        // between fork and exec.
        unsafe {
            command.pre_exec(move || {
                // If the plugin dies (even by SIGKILL), so does the command: it never runs on with
                // the credential unsupervised. The plugin may have died before this line.
                #[cfg(target_os = "linux")]
                {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    if libc::getppid() != plugin {
                        libc::_exit(128 + libc::SIGKILL);
                    }
                }
                libc::setpgid(0, 0);
                if on_terminal {
                    // A background group may not take the terminal unless SIGTTOU is ignored.
                    libc::signal(libc::SIGTTOU, libc::SIG_IGN);
                    libc::tcsetpgrp(0, libc::getpid());
                    libc::signal(libc::SIGTTOU, libc::SIG_DFL);
                }
                Ok(())
            });
        }
        Foreground { on_terminal }
    }
    #[cfg(not(unix))]
    {
        let _ = command;
        Foreground {}
    }
}

/// Whether the terminal was handed to the command's group.
pub struct Foreground {
    #[cfg(unix)]
    on_terminal: bool,
}

impl Foreground {
    /// Takes the terminal back for the plugin's own process group.
    pub fn restore(&self) {
        #[cfg(unix)]
        if self.on_terminal {
            // SAFETY: plain system calls on fd 0 with SIGTTOU ignored for their length.
            unsafe {
                let previous = libc::signal(libc::SIGTTOU, libc::SIG_IGN);
                libc::tcsetpgrp(0, libc::getpgrp());
                libc::signal(libc::SIGTTOU, previous);
            }
        }
    }
}

/// Makes the plugin the reaper of every orphan below it (Linux: `PR_SET_CHILD_SUBREAPER`): a
/// process the command detaches (setsid, a double fork) is re-parented to the plugin, not to
/// PID 1, so [`stop`] and [`end_leftovers`] still find it.
pub fn adopt_orphans() {
    #[cfg(target_os = "linux")]
    // SAFETY: a plain prctl on this process.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1);
    }
}

/// Stops a command, its process group and every process below the plugin (an interactive shell
/// puts each job in a group of its own; a detached process is re-parented to the plugin): SIGHUP,
/// which a shell passes on to its jobs, and SIGTERM; then SIGKILL after [`GRACE`] to whatever is
/// left.
pub async fn stop(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child.id() {
        let pid = pid as libc::pid_t;
        let mut started = below_plugin();
        for signal in [libc::SIGHUP, libc::SIGTERM] {
            send(-pid, signal);
            for &process in &started {
                send(process, signal);
            }
        }
        let exited = tokio::time::timeout(GRACE, child.wait()).await.is_ok();
        if !exited {
            started.extend(below_plugin());
        }
        send(-pid, libc::SIGKILL);
        for &process in &started {
            send(process, libc::SIGKILL);
        }
        // The command itself is left to `child` to reap.
        started.retain(|&process| process != pid);
        reap(&started);
        if exited {
            return;
        }
    }
    let _ = child.kill().await;
}

/// After the command exited: ends what it left running below the plugin (SIGHUP and SIGTERM,
/// SIGKILL after [`GRACE`]), so that nothing goes on with the credential once supervision ends.
pub async fn end_leftovers() {
    #[cfg(unix)]
    {
        let mut left = below_plugin();
        if left.is_empty() {
            return;
        }
        for signal in [libc::SIGHUP, libc::SIGTERM] {
            for &process in &left {
                send(process, signal);
            }
        }
        let deadline = tokio::time::Instant::now() + GRACE;
        while tokio::time::Instant::now() < deadline {
            reap(&left);
            if below_plugin().is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        left.extend(below_plugin());
        for &process in &left {
            send(process, libc::SIGKILL);
        }
        reap(&left);
    }
}

/// Collects the exit status of these processes where they are the plugin's own (adopted)
/// children, so that they do not linger as zombies. Never waits for any other child.
#[cfg(unix)]
fn reap(processes: &[libc::pid_t]) {
    for &process in processes {
        // SAFETY: waitpid on one pid, without blocking; a pid that is not our child is ECHILD.
        unsafe { libc::waitpid(process, std::ptr::null_mut(), libc::WNOHANG) };
    }
}

/// Every live process below the plugin itself.
#[cfg(unix)]
fn below_plugin() -> Vec<libc::pid_t> {
    // SAFETY: getpid has no preconditions.
    descendants(unsafe { libc::getpid() })
}

/// The signal a child was killed by, if it was.
pub fn signal_of(status: &std::process::ExitStatus) -> Option<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        status.signal().and_then(|signal| u8::try_from(signal).ok())
    }
    #[cfg(not(unix))]
    {
        let _ = status;
        None
    }
}

/// SIGHUP, SIGINT and SIGTERM to the plugin while it runs a command: the command is stopped
/// with it, never left running unsupervised.
pub struct Signals {
    #[cfg(unix)]
    streams: Vec<(u8, tokio::signal::unix::Signal)>,
}

impl Signals {
    pub fn new() -> crate::base::error::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut streams = Vec::new();
            for (number, kind) in [
                (libc::SIGHUP, SignalKind::hangup()),
                (libc::SIGINT, SignalKind::interrupt()),
                (libc::SIGTERM, SignalKind::terminate()),
            ] {
                let stream = signal(kind)
                    .map_err(|e| crate::base::error::Error::failed(format!("cannot watch for signal {number}: {e}")))?;
                streams.push((number as u8, stream));
            }
            Ok(Signals { streams })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// The next of these signals the plugin receives.
    pub async fn next(&mut self) -> u8 {
        #[cfg(unix)]
        {
            let waits = self.streams.iter_mut().map(|(number, stream)| {
                let number = *number;
                Box::pin(async move {
                    stream.recv().await;
                    number
                })
            });
            futures::future::select_all(waits).await.0
        }
        #[cfg(not(unix))]
        std::future::pending().await
    }
}

#[cfg(unix)]
fn send(target: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill(2) on the command's own group or on processes it started, found just before.
    unsafe { libc::kill(target, signal) };
}

/// Every live process and its parent, from /proc (none where there is no /proc).
#[cfg(unix)]
fn processes() -> Vec<(libc::pid_t, libc::pid_t)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<libc::pid_t>().ok()) else {
            continue;
        };
        // `pid (comm) state ppid …`: the command name may hold spaces and parentheses. A zombie
        // has ended already.
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let Some((_, rest)) = stat.rsplit_once(')') else { continue };
        let mut fields = rest.split_whitespace();
        if fields.next() == Some("Z") {
            continue;
        }
        if let Some(ppid) = fields.next().and_then(|ppid| ppid.parse().ok()) {
            found.push((pid, ppid));
        }
    }
    found
}

/// Kills the plugin's own child processes that run `program` (as it was given to exec): a
/// kubeconfig's credential plugin that did not answer in time. Returns how many there were.
pub fn stop_children_running(program: &str) -> usize {
    #[cfg(unix)]
    {
        // SAFETY: getpid has no preconditions.
        let plugin = unsafe { libc::getpid() };
        let mut stopped = 0;
        for (pid, _) in processes().into_iter().filter(|(_, ppid)| *ppid == plugin) {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            if cmdline.split(|b| *b == 0).next() == Some(program.as_bytes()) {
                send(pid, libc::SIGKILL);
                stopped += 1;
            }
        }
        stopped
    }
    #[cfg(not(unix))]
    {
        let _ = program;
        0
    }
}

/// Every process below `root` in the process tree, from /proc (none where there is no /proc: then
/// only the command's group is signalled).
#[cfg(unix)]
fn descendants(root: libc::pid_t) -> Vec<libc::pid_t> {
    let mut children: std::collections::BTreeMap<libc::pid_t, Vec<libc::pid_t>> = Default::default();
    for (pid, ppid) in processes() {
        children.entry(ppid).or_default().push(pid);
    }
    let mut found = Vec::new();
    let mut queue = vec![root];
    while let Some(parent) = queue.pop() {
        for &child in children.get(&parent).into_iter().flatten() {
            found.push(child);
            queue.push(child);
        }
    }
    found
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn finds_the_processes_a_command_started_even_in_other_groups() {
        let mut shell =
            std::process::Command::new("sh").args(["-c", "setsid sleep 30 & sleep 30 & wait"]).spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let found = loop {
            let found = super::descendants(shell.id() as libc::pid_t);
            if found.len() >= 2 || std::time::Instant::now() > deadline {
                break found;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        for &pid in &found {
            super::send(pid, libc::SIGKILL);
        }
        let _ = shell.kill();
        let _ = shell.wait();
        assert_eq!(found.len(), 2, "{found:?}");
    }
}
