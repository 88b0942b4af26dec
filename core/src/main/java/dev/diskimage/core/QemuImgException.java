package dev.diskimage.core;

import java.util.List;

/**
 * A {@code qemu-img} run failed: it exited with a code that means failure for its verb, or the
 * timeout killed it. Carries the command line, the exit code and the tail of stderr, all of which
 * are in the message too, so a log line alone says what went wrong.
 */
public class QemuImgException extends ImageException {
    private static final long serialVersionUID = 1L;

    /** The full command line that ran. */
    private final List<String> command;
    /** The exit code; 128 + signal number when a signal ended qemu-img. */
    private final int exitCode;
    /** The last bytes qemu-img wrote to stderr. */
    private final String stderrTail;
    /** Whether the timeout killed qemu-img. */
    private final boolean timedOut;

    /**
     * Creates the error from the failed run's result.
     *
     * @param result the run that failed or timed out; its command, exit code, stderr tail and
     *     timeout flag are kept
     */
    public QemuImgException(ProcessResult result) {
        this(result.command(), result.exitCode(), result.stderrTail(), result.timedOut());
    }

    /**
     * Creates the error from its parts.
     *
     * @param command the full command line that ran; copied
     * @param exitCode the exit code; 128 + signal number when a signal ended qemu-img
     * @param stderrTail the last bytes qemu-img wrote to stderr; empty if none
     * @param timedOut whether the timeout killed qemu-img
     */
    public QemuImgException(List<String> command, int exitCode, String stderrTail, boolean timedOut) {
        this(command, exitCode, stderrTail, timedOut, "");
    }

    /**
     * Creates the error from the failed run's result, with a verb-specific note appended to the message.
     *
     * @param result the run that failed or timed out
     * @param note text appended to the message after a semicolon; empty for none
     */
    protected QemuImgException(ProcessResult result, String note) {
        this(result.command(), result.exitCode(), result.stderrTail(), result.timedOut(), note);
    }

    private QemuImgException(List<String> command, int exitCode, String stderrTail, boolean timedOut, String note) {
        super(message(command, exitCode, stderrTail, timedOut, note));
        this.command = List.copyOf(command);
        this.exitCode = exitCode;
        this.stderrTail = stderrTail;
        this.timedOut = timedOut;
    }

    private static String message(List<String> command, int exitCode, String stderrTail, boolean timedOut,
            String note) {
        String how = timedOut ? "timed out and was killed (exit code " + exitCode + ")"
                : "failed with exit code " + exitCode;
        return "qemu-img " + how + ": " + String.join(" ", command)
                + (stderrTail.isBlank() ? "" : ": " + stderrTail.strip())
                + (note.isEmpty() ? "" : "; " + note);
    }

    /**
     * The full command line that ran.
     *
     * @return the program and its arguments, including any {@code prlimit} prefix; unmodifiable
     */
    public List<String> command() {
        return command;
    }

    /**
     * The exit code (128 + signal when a signal ended qemu-img).
     *
     * @return the exit code
     */
    public int exitCode() {
        return exitCode;
    }

    /**
     * The last bytes qemu-img wrote to stderr.
     *
     * @return the stderr tail, decoded as UTF-8; empty if qemu-img wrote nothing there
     */
    public String stderrTail() {
        return stderrTail;
    }

    /**
     * Whether the timeout killed qemu-img.
     *
     * @return true if the run was killed for exceeding its timeout
     */
    public boolean timedOut() {
        return timedOut;
    }
}
