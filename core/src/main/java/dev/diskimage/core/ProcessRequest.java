package dev.diskimage.core;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One external program to run through {@link ProcessRunner}: the argument list (never one
 * string, so nothing is split or re-quoted), a timeout, optional {@link ProcessLimits}, optional
 * stdin bytes, a listener for output lines, caps on captured output and extra environment.
 * Built with {@link #builder(List)}.
 */
public final class ProcessRequest {
    /** Default timeout: long enough for a slow convert of a small image, short enough to notice a hang. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    /** Default cap on captured stdout (1 MiB): qemu-img JSON answers are far smaller. */
    public static final int DEFAULT_MAX_STDOUT = 1 << 20;
    /** Default cap on the captured stderr tail (16 KiB): enough for qemu-img's error message. */
    public static final int DEFAULT_MAX_STDERR = 16 << 10;

    private final List<String> command;
    private final Duration timeout;
    private final ProcessLimits limits;
    private final Consumer<ProcessHandle> startListener;
    private final byte[] stdin;
    private final Consumer<String> stdoutLineListener;
    private final int maxStdout;
    private final int maxStderr;
    private final Map<String, String> environment;

    private ProcessRequest(Builder builder) {
        this.command = builder.command;
        this.timeout = builder.timeout;
        this.limits = builder.limits;
        this.startListener = builder.startListener;
        this.stdin = builder.stdin;
        this.stdoutLineListener = builder.stdoutLineListener;
        this.maxStdout = builder.maxStdout;
        this.maxStderr = builder.maxStderr;
        this.environment = Map.copyOf(builder.environment);
    }

    /**
     * Starts a request for {@code command}: the program (a name looked up on the PATH, or a path)
     * followed by its arguments, each passed to the program exactly as given.
     *
     * @param command the program and its arguments; copied
     * @return a builder with the default timeout and output caps, no limits, no stdin, no
     *     listener and no extra environment
     * @throws NullPointerException if the command is null
     * @throws IllegalArgumentException if the command is empty or contains a null
     */
    public static Builder builder(List<String> command) {
        return new Builder(command);
    }

    /**
     * The program and its arguments, without any {@code prlimit} prefix.
     *
     * @return the command as given to {@link #builder(List)}; unmodifiable
     */
    public List<String> command() {
        return command;
    }

    /**
     * How long the program may run before it is killed.
     *
     * @return the timeout, {@link #DEFAULT_TIMEOUT} unless set; empty after
     *     {@link Builder#noTimeout()}, when the program may run as long as it needs
     */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    /**
     * The listener told the program's process as soon as it has started, if any.
     *
     * @return the listener, or empty if none was set
     */
    public Optional<Consumer<ProcessHandle>> startListener() {
        return Optional.ofNullable(startListener);
    }

    /**
     * The resource limits to apply, if any.
     *
     * @return the limits {@code prlimit} applies, or empty to run the program without it
     */
    public Optional<ProcessLimits> limits() {
        return Optional.ofNullable(limits);
    }

    /**
     * The bytes to feed to the program's stdin (a copy), if any; otherwise stdin is closed.
     *
     * @return a fresh copy of the stdin bytes, or empty if none were set
     */
    public Optional<byte[]> stdin() {
        return Optional.ofNullable(stdin).map(byte[]::clone);
    }

    /**
     * The listener that sees each stdout line (split on {@code \r} and {@code \n}), if any.
     *
     * @return the listener, or empty if none was set
     */
    public Optional<Consumer<String>> stdoutLineListener() {
        return Optional.ofNullable(stdoutLineListener);
    }

    /**
     * The most stdout bytes kept.
     *
     * @return the cap in bytes on the captured start of stdout, {@link #DEFAULT_MAX_STDOUT}
     *     unless set
     */
    public int maxStdout() {
        return maxStdout;
    }

    /**
     * The most stderr bytes kept (the tail).
     *
     * @return the cap in bytes on the captured end of stderr, {@link #DEFAULT_MAX_STDERR}
     *     unless set
     */
    public int maxStderr() {
        return maxStderr;
    }

    /**
     * Variables added to (or replacing those of) the inherited environment.
     *
     * @return the variables by name; unmodifiable, empty if none were set
     */
    public Map<String, String> environment() {
        return environment;
    }

    /** Collects the options of a {@link ProcessRequest}. */
    public static final class Builder {
        private final List<String> command;
        private Duration timeout = DEFAULT_TIMEOUT;
        private ProcessLimits limits;
        private Consumer<ProcessHandle> startListener;
        private byte[] stdin;
        private Consumer<String> stdoutLineListener;
        private int maxStdout = DEFAULT_MAX_STDOUT;
        private int maxStderr = DEFAULT_MAX_STDERR;
        private final Map<String, String> environment = new LinkedHashMap<>();

        private Builder(List<String> command) {
            Objects.requireNonNull(command, "command");
            if (command.isEmpty()) {
                throw new IllegalArgumentException("command is empty");
            }
            if (command.stream().anyMatch(Objects::isNull)) {
                throw new IllegalArgumentException("command contains null: " + command);
            }
            this.command = List.copyOf(command);
        }

        /**
         * Sets how long the program may run; must be positive.
         *
         * @param timeout the wall-clock time after which the program is killed
         * @return this builder
         * @throws IllegalArgumentException if the timeout is zero or negative
         */
        public Builder timeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * Lets the program run without a time limit: for long jobs (a conversion of a large
         * image) whose caller set no deadline and can stop them through
         * {@link #onStart(Consumer)}'s handle instead.
         *
         * @return this builder
         */
        public Builder noTimeout() {
            this.timeout = null;
            return this;
        }

        /**
         * Calls {@code listener} with the process's handle as soon as it has started, on the
         * thread that called {@link ProcessRunner#run}, so a caller can stop it (cancel) or act
         * on its pid (move it into a cgroup) while {@code run} waits for it.
         *
         * @param listener receives the handle of the started program; it must not block
         * @return this builder
         * @throws NullPointerException if {@code listener} is null
         */
        public Builder onStart(Consumer<ProcessHandle> listener) {
            this.startListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Runs the program under {@code prlimit} with these limits; without this call, none apply.
         *
         * @param limits the CPU and address-space limits; not null
         * @return this builder
         * @throws NullPointerException if {@code limits} is null
         */
        public Builder limits(ProcessLimits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Feeds these bytes to stdin (copied), then closes it; without this call stdin is closed at once.
         *
         * @param stdin the bytes to write to the program's standard input; not null
         * @return this builder
         * @throws NullPointerException if {@code stdin} is null
         */
        public Builder stdin(byte[] stdin) {
            this.stdin = Objects.requireNonNull(stdin, "stdin").clone();
            return this;
        }

        /**
         * Calls {@code listener} with each stdout line as it arrives; lines end at {@code \r} or
         * {@code \n}, so progress that rewrites one terminal line is seen update by update.
         * Empty lines are skipped. The listener runs on the output pump thread.
         *
         * @param listener receives each non-empty line, decoded as UTF-8, without its line end
         * @return this builder
         * @throws NullPointerException if {@code listener} is null
         */
        public Builder onStdoutLine(Consumer<String> listener) {
            this.stdoutLineListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Keeps at most {@code bytes} of stdout (from the start).
         *
         * @param bytes the cap in bytes, not negative; 0 keeps nothing (a listener still sees
         *     every line)
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative
         */
        public Builder maxStdout(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("maxStdout must not be negative: " + bytes);
            }
            this.maxStdout = bytes;
            return this;
        }

        /**
         * Keeps at most the last {@code bytes} of stderr.
         *
         * @param bytes the cap in bytes, not negative; 0 keeps nothing
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative
         */
        public Builder maxStderr(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("maxStderr must not be negative: " + bytes);
            }
            this.maxStderr = bytes;
            return this;
        }

        /**
         * Sets one environment variable for the program.
         *
         * @param name the variable's name; not null
         * @param value its value; not null
         * @return this builder
         * @throws NullPointerException if the name or the value is null
         */
        public Builder environment(String name, String value) {
            environment.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Builds the request.
         *
         * @return an immutable request with the options set so far
         */
        public ProcessRequest build() {
            return new ProcessRequest(this);
        }
    }
}
