package dev.diskimage.core;

import java.time.Duration;
import java.util.List;

/**
 * What an external program did: its exit code, what it printed (stdout from the start up to the
 * request's cap, stderr as its last bytes), how long it ran and whether the timeout killed it.
 * A non-zero exit is data here, not an error: callers decide what each code means.
 *
 * @param command the full command line that ran, including any {@code prlimit} prefix
 * @param exitCode the exit code; 128 + signal number when a signal ended the process
 * @param stdout standard output, decoded as UTF-8, at most the request's stdout cap
 * @param stdoutTruncated whether standard output was longer than the cap
 * @param stderrTail the last bytes of standard error, decoded as UTF-8
 * @param duration wall-clock time from start to exit
 * @param timedOut whether the timeout watchdog killed the process
 */
public record ProcessResult(
        List<String> command,
        int exitCode,
        String stdout,
        boolean stdoutTruncated,
        String stderrTail,
        Duration duration,
        boolean timedOut) {

    /**
     * Copies the command so the result stays immutable.
     *
     * @param command the full command line that ran, including any {@code prlimit} prefix
     * @param exitCode the exit code; 128 + signal number when a signal ended the process
     * @param stdout standard output, decoded as UTF-8, at most the request's stdout cap
     * @param stdoutTruncated whether standard output was longer than the cap
     * @param stderrTail the last bytes of standard error, decoded as UTF-8
     * @param duration wall-clock time from start to exit
     * @param timedOut whether the timeout watchdog killed the process
     * @throws NullPointerException if the command or one of its elements is null
     */
    public ProcessResult {
        command = List.copyOf(command);
    }

    /**
     * Whether the program exited with code 0 before the timeout.
     *
     * @return true if the exit code is 0 and the timeout did not kill the process
     */
    public boolean succeeded() {
        return exitCode == 0 && !timedOut;
    }
}
