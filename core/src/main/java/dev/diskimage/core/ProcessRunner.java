package dev.diskimage.core;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.PumpStreamHandler;
import org.apache.commons.exec.Watchdog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one seam through which this project starts external programs ({@code qemu-img},
 * {@code prlimit}, {@code cryptsetup}, ...), built on Apache Commons Exec.
 *
 * <p>It handles the known traps once: arguments are passed as a list without re-quoting (paths
 * with spaces or quotes arrive intact); the program runs directly, never through a shell, so the
 * timeout kills the program itself (SIGTERM, then SIGKILL after a short grace, together with any
 * children it started); the exit code is returned rather than judged, because a
 * non-zero exit is meaningful for some verbs ({@code qemu-img check} exits 2 or 3); the output
 * pumps get a stop timeout so a grandchild holding a pipe open cannot hang the caller; captured
 * output is capped; and the child runs with {@code LC_ALL=C} so its messages are parseable.
 * Instances are stateless and thread-safe.
 */
public final class ProcessRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessRunner.class);

    /** How long a program may take to end after SIGTERM before the timeout sends SIGKILL. */
    static final Duration KILL_GRACE = Duration.ofSeconds(1);

    /**
     * How long to wait for each output pump after the process ends, when a grandchild keeps its
     * pipe open. Commons Exec adds two seconds of its own to this, per pump.
     */
    static final Duration PUMP_STOP_TIMEOUT = Duration.ofMillis(500);

    private static final ProcessRunner DEFAULT = new ProcessRunner();

    private ProcessRunner() {
    }

    /**
     * The shared runner.
     *
     * @return the one stateless instance, safe to share between threads
     */
    public static ProcessRunner create() {
        return DEFAULT;
    }

    /**
     * Runs the program and waits for it to exit or to be killed by the timeout.
     *
     * @param request the command, its timeout, limits, stdin, output caps and extra environment
     * @return the exit code and output; a non-zero exit or a timeout is reported, not thrown
     * @throws ImageException if the program could not be started (not found, not executable)
     */
    public ProcessResult run(ProcessRequest request) {
        List<String> command = request.limits()
                .map(limits -> limits.wrap(request.command()))
                .orElse(request.command());
        CommandLine commandLine = new ExactCommandLine(command);

        OutputCapture stdout = new OutputCapture(OutputCapture.Keep.HEAD, request.maxStdout(),
                request.stdoutLineListener().orElse(null));
        OutputCapture stderr = new OutputCapture(OutputCapture.Keep.TAIL, request.maxStderr(), null);
        PumpStreamHandler streams = new PumpStreamHandler(stdout, stderr,
                request.stdin().map(ByteArrayInputStream::new).orElse(null));
        // A guard that no test can trip on Linux: when a child exits, the JDK drains and closes
        // its pipes, so the pumps end even while a grandchild holds the other ends. The timeout
        // bounds the wait on a platform whose JDK does not (Commons Exec waits forever by default).
        streams.setStopTimeout(PUMP_STOP_TIMEOUT);
        KillingWatchdog watchdog = new KillingWatchdog(request.timeout(), request.startListener().orElse(null));

        DefaultExecutor executor = DefaultExecutor.builder().setExecuteStreamHandler(streams).get();
        // null: every exit value is accepted; the caller reads and judges it. (Without this a
        // non-zero exit would arrive as an ExecuteException, whose handling below reads the
        // same exit code: the line keeps that path for pumps that did not stop.)
        executor.setExitValues(null);
        executor.setWatchdog(watchdog);

        Map<String, String> environment = new HashMap<>(System.getenv());
        environment.put("LC_ALL", "C");
        environment.putAll(request.environment());

        long start = System.nanoTime();
        try {
            executor.execute(commandLine, environment);
        } catch (ExecuteException e) {
            // With exit values disabled this only happens when the pumps could not be stopped
            // (a grandchild kept the pipe open past the stop timeout); the program itself has
            // ended, and its exit code is read below like any other.
            LOG.debug("output pumps of {} did not stop cleanly", command.get(0), e);
        } catch (IOException e) {
            // Commons Exec reports a program that cannot be started (missing, not executable) here.
            throw new ProgramUnavailableException("cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } finally {
            stdout.close();
        }
        Duration duration = Duration.ofNanos(System.nanoTime() - start);
        // One source for the exit code whether or not the pumps stopped cleanly: the executor
        // returns (or throws ExecuteException) only after the program has ended.
        int exitCode = watchdog.exitValue();
        return new ProcessResult(command, exitCode, stdout.text(), stdout.truncated(), stderr.text(),
                duration, watchdog.killedProcess());
    }

    /**
     * A command line passed to the program exactly as given. The stock {@link CommandLine} is
     * filled with {@code addArgument(arg, false)} (no quoting), but it also trims each argument,
     * so a file name with a leading or trailing space would silently name another file; the
     * exact list is therefore what the launcher receives.
     */
    private static final class ExactCommandLine extends CommandLine {
        private final List<String> command;

        ExactCommandLine(List<String> command) {
            super(command.get(0));
            for (String argument : command.subList(1, command.size())) {
                // false: never add quotes; the overrides below also undo the trimming.
                addArgument(argument, false);
            }
            this.command = List.copyOf(command);
        }

        @Override
        public String[] getArguments() {
            return command.subList(1, command.size()).toArray(new String[0]);
        }

        @Override
        public String getExecutable() {
            return command.get(0);
        }

        @Override
        public String[] toStrings() {
            // Built from the two accessors so that every view of the command line is the exact one.
            String[] arguments = getArguments();
            String[] all = new String[arguments.length + 1];
            all[0] = getExecutable();
            System.arraycopy(arguments, 0, all, 1, arguments.length);
            return all;
        }
    }

    /**
     * A watchdog that escalates to SIGKILL on timeout: the stock one only sends SIGTERM, which a
     * stuck or hostile program may ignore. The program gets {@link #KILL_GRACE} to end on SIGTERM
     * (qemu-img does at once), then it is killed.
     */
    private static final class KillingWatchdog extends ExecuteWatchdog {
        private final Consumer<ProcessHandle> startListener;
        private Process process;

        @SuppressWarnings("deprecation")
        KillingWatchdog(Optional<Duration> timeout, Consumer<ProcessHandle> startListener) {
            // The builder yields only the stock class; this constructor is the way to subclass.
            // INFINITE_TIMEOUT: no watchdog thread at all, the program runs until it exits.
            super(timeout.map(Duration::toMillis).orElse((long) INFINITE_TIMEOUT));
            this.startListener = startListener;
        }

        @Override
        public synchronized void start(Process process) {
            this.process = process;
            super.start(process);
            if (startListener != null) {
                // Commons Exec calls this on the thread running execute(), right after the launch.
                startListener.accept(process.toHandle());
            }
        }

        @Override
        public synchronized void timeoutOccured(Watchdog watchdog) {
            // Taken first: once the program dies, its children are re-parented and out of reach.
            // qemu-img has none (prlimit execs it in place); a script's would hold the pipes open.
            List<ProcessHandle> descendants = process == null ? List.of() : process.descendants().toList();
            // The stock watchdog sends SIGTERM.
            super.timeoutOccured(watchdog);
            if (process == null) {
                return;
            }
            try {
                // The outcome only decides the debug line: SIGKILL follows either way.
                if (!process.waitFor(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.debug("{} ignored SIGTERM for {}; sending SIGKILL", process.pid(), KILL_GRACE);
                }
            } catch (InterruptedException e) {
                // Only Commons Exec's watchdog thread runs this, and nothing interrupts it.
                Thread.currentThread().interrupt();
            } finally {
                process.destroyForcibly();
                descendants.forEach(ProcessHandle::destroyForcibly);
            }
        }

        /** The exit value of the program, which has ended (it was started, and waited for). */
        synchronized int exitValue() {
            return process.exitValue();
        }
    }
}
