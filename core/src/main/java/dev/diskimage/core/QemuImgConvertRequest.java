package dev.diskimage.core;

import com.google.common.collect.ImmutableMap;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;

/**
 * The options of {@code qemu-img convert}: source and target with their formats (the source
 * format is always given, so qemu never probes), {@code -o} target options (kept in the order
 * given, so the same request always gives the same command line), compression, cache modes,
 * {@code --object}s, a progress listener fed from {@code -p}, the copy flags
 * ({@code -r}, {@code -W}, {@code -n}, {@code --target-is-zero}, {@code -S}, {@code --bitmaps},
 * {@code -m}) and how the process is run (timeout, launcher, start listener). Every option
 * comes before the two file names. Immutable once built.
 */
public final class QemuImgConvertRequest {
    /** The most parallel coroutines qemu-img convert accepts for {@code -m}. */
    public static final int MAX_COROUTINES = 16;

    private final Path source;
    private final DiskFormat sourceFormat;
    private final Path target;
    private final DiskFormat targetFormat;
    private final Map<String, String> options;
    private final boolean compress;
    private final Optional<CacheMode> cacheMode;
    private final Optional<CacheMode> sourceCacheMode;
    private final List<QemuObject> objects;
    private final Optional<DoubleConsumer> progress;
    private final OptionalLong rateLimit;
    private final boolean outOfOrderWrites;
    private final boolean existingTarget;
    private final boolean targetIsZero;
    private final OptionalLong sparseSize;
    private final boolean bitmaps;
    private final OptionalInt coroutines;
    private final Optional<Duration> timeout;
    private final boolean noTimeout;
    private final List<String> launcher;
    private final Optional<Consumer<ProcessHandle>> startListener;
    private final Optional<String> sourceKeySecret;

    private QemuImgConvertRequest(Builder b) {
        this.source = b.source;
        this.sourceFormat = b.sourceFormat;
        this.target = b.target;
        this.targetFormat = b.targetFormat;
        this.options = ImmutableMap.copyOf(b.options);
        this.compress = b.compress;
        this.cacheMode = Optional.ofNullable(b.cacheMode);
        this.sourceCacheMode = Optional.ofNullable(b.sourceCacheMode);
        this.objects = List.copyOf(b.objects);
        this.progress = Optional.ofNullable(b.progress);
        this.rateLimit = b.rateLimit;
        this.outOfOrderWrites = b.outOfOrderWrites;
        this.existingTarget = b.existingTarget;
        this.targetIsZero = b.targetIsZero;
        this.sparseSize = b.sparseSize;
        this.bitmaps = b.bitmaps;
        this.coroutines = b.coroutines;
        this.timeout = Optional.ofNullable(b.timeout);
        this.noTimeout = b.noTimeout;
        this.launcher = List.copyOf(b.launcher);
        this.startListener = Optional.ofNullable(b.startListener);
        this.sourceKeySecret = Optional.ofNullable(b.sourceKeySecret);
    }

    /**
     * Starts a request converting {@code source} (in {@code sourceFormat}) to {@code target}.
     *
     * @param source the image file to read
     * @param sourceFormat the source's format, passed as {@code -f} so qemu never probes it
     * @param target the image file to write; qemu-img overwrites an existing file
     * @param targetFormat the target's format, passed as {@code -O}
     * @return a builder without options, compression, cache modes, objects or progress listener
     * @throws NullPointerException if an argument is null
     */
    public static Builder builder(Path source, DiskFormat sourceFormat, Path target, DiskFormat targetFormat) {
        return new Builder(source, sourceFormat, target, targetFormat);
    }

    /**
     * The listener for progress percentages (0 to 100), if any.
     *
     * @return the listener, or empty when qemu-img runs without {@code -p}
     */
    public Optional<DoubleConsumer> progress() {
        return progress;
    }

    /** The file the conversion writes. */
    Path target() {
        return target;
    }

    /** The per-request timeout, if one replaces {@link QemuImg}'s. */
    Optional<Duration> timeout() {
        return timeout;
    }

    /** Whether qemu-img runs without any timeout. */
    boolean noTimeout() {
        return noTimeout;
    }

    /** The programs qemu-img is started through (each execs the next), empty for none. */
    List<String> launcher() {
        return launcher;
    }

    /** Told the process handle as soon as qemu-img (or its launcher) started. */
    Optional<Consumer<ProcessHandle>> startListener() {
        return startListener;
    }

    /**
     * The qemu-img arguments after the program name, as they are passed: options first, then the
     * source and the target.
     *
     * @return a new modifiable list, starting with {@code convert}
     */
    public List<String> arguments() {
        List<String> args = new ArrayList<>(List.of("convert"));
        for (QemuObject object : objects) {
            args.add("--object");
            args.add(object.toArgument());
        }
        if (progress.isPresent()) {
            args.add("-p");
        }
        if (compress) {
            args.add("-c");
        }
        if (existingTarget) {
            args.add("-n");
        }
        if (targetIsZero) {
            args.add("--target-is-zero");
        }
        if (outOfOrderWrites) {
            args.add("-W");
        }
        if (bitmaps) {
            args.add("--bitmaps");
        }
        sparseSize.ifPresent(bytes -> {
            args.add("-S");
            args.add(Long.toString(bytes));
        });
        rateLimit.ifPresent(bytesPerSecond -> {
            args.add("-r");
            args.add(Long.toString(bytesPerSecond));
        });
        coroutines.ifPresent(count -> {
            args.add("-m");
            args.add(Integer.toString(count));
        });
        cacheMode.ifPresent(mode -> {
            args.add("-t");
            args.add(mode.qemuName());
        });
        sourceCacheMode.ifPresent(mode -> {
            args.add("-T");
            args.add(mode.qemuName());
        });
        if (sourceKeySecret.isPresent()) {
            // An encrypted source is opened through --image-opts: the driver is still the detected
            // format (never probed), and the key is a secret object's id, never the passphrase.
            args.add("--image-opts");
        } else {
            args.add("-f");
            args.add(sourceFormat.qemuName());
        }
        args.add("-O");
        args.add(targetFormat.qemuName());
        QemuImg.addOptions(args, options);
        args.add(sourceKeySecret.map(id -> QemuImg.encryptedImageOpts(source, sourceFormat, id))
                .orElseGet(() -> QemuImg.pathArgument(source)));
        args.add(QemuImg.pathArgument(target));
        return args;
    }

    /** Collects convert options. */
    public static final class Builder {
        private final Path source;
        private final DiskFormat sourceFormat;
        private final Path target;
        private final DiskFormat targetFormat;
        private final Map<String, String> options = new LinkedHashMap<>();
        private boolean compress;
        private CacheMode cacheMode;
        private CacheMode sourceCacheMode;
        private final List<QemuObject> objects = new ArrayList<>();
        private DoubleConsumer progress;
        private OptionalLong rateLimit = OptionalLong.empty();
        private boolean outOfOrderWrites;
        private boolean existingTarget;
        private boolean targetIsZero;
        private OptionalLong sparseSize = OptionalLong.empty();
        private boolean bitmaps;
        private OptionalInt coroutines = OptionalInt.empty();
        private Duration timeout;
        private boolean noTimeout;
        private final List<String> launcher = new ArrayList<>();
        private Consumer<ProcessHandle> startListener;
        private String sourceKeySecret;

        private Builder(Path source, DiskFormat sourceFormat, Path target, DiskFormat targetFormat) {
            this.source = Objects.requireNonNull(source, "source");
            this.sourceFormat = Objects.requireNonNull(sourceFormat, "sourceFormat");
            this.target = Objects.requireNonNull(target, "target");
            this.targetFormat = Objects.requireNonNull(targetFormat, "targetFormat");
        }

        /**
         * A target format option for {@code -o}, e.g. {@code compat=1.1}. Options reach the
         * command line in the order they were given; giving a key again replaces its value.
         *
         * @param key the option name: a letter, then letters, digits, {@code _}, {@code .} or
         *     {@code -}
         * @param value the option value; commas are doubled on the command line; not null
         * @return this builder
         * @throws NullPointerException if {@code value} is null
         * @throws IllegalArgumentException if the key is not a plain option name
         */
        public Builder option(String key, String value) {
            options.put(QemuImg.requireOptionKey(key), Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Compresses the target ({@code -c}; qcow2 and vmdk streamOptimized support it).
         *
         * @param compress whether to pass {@code -c}; off unless set
         * @return this builder
         */
        public Builder compress(boolean compress) {
            this.compress = compress;
            return this;
        }

        /**
         * Target cache mode ({@code -t}), e.g. {@link CacheMode#NONE} after an O_DIRECT probe.
         *
         * @param mode the cache mode for writing the target; without this call qemu's default
         *     applies
         * @return this builder
         * @throws NullPointerException if {@code mode} is null
         */
        public Builder cacheMode(CacheMode mode) {
            this.cacheMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Source cache mode ({@code -T}).
         *
         * @param mode the cache mode for reading the source; without this call qemu's default
         *     applies
         * @return this builder
         * @throws NullPointerException if {@code mode} is null
         */
        public Builder sourceCacheMode(CacheMode mode) {
            this.sourceCacheMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * An {@code --object}, e.g. the secret for an encrypted target.
         *
         * @param object the object to pass with {@code --object}; objects are passed in the order
         *     added
         * @return this builder
         * @throws NullPointerException if {@code object} is null
         */
        public Builder object(QemuObject object) {
            objects.add(Objects.requireNonNull(object, "object"));
            return this;
        }

        /**
         * Receives progress percentages (0 to 100) as qemu-img reports them with {@code -p}.
         *
         * @param listener called on the output pump thread with each percentage qemu-img prints
         * @return this builder
         * @throws NullPointerException if {@code listener} is null
         */
        public Builder progress(DoubleConsumer listener) {
            this.progress = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Limits qemu-img's I/O rate ({@code -r}, bytes per second), qemu's own throttle.
         *
         * @param bytesPerSecond the rate limit; positive
         * @return this builder
         * @throws IllegalArgumentException if the rate is not positive
         */
        public Builder rateLimit(long bytesPerSecond) {
            if (bytesPerSecond <= 0) {
                throw new IllegalArgumentException("rate limit must be positive: " + bytesPerSecond);
            }
            this.rateLimit = OptionalLong.of(bytesPerSecond);
            return this;
        }

        /**
         * Lets qemu-img write out of order ({@code -W}): faster on raw, preallocated targets,
         * where a later write never depends on the allocation of an earlier one.
         *
         * @param outOfOrder whether to pass {@code -W}; off unless set
         * @return this builder
         */
        public Builder outOfOrderWrites(boolean outOfOrder) {
            this.outOfOrderWrites = outOfOrder;
            return this;
        }

        /**
         * Writes into an existing target instead of creating it ({@code -n}): a volume or a
         * file made beforehand. qemu-img then does not apply {@code -o} creation options.
         *
         * @param existing whether to pass {@code -n}; off unless set
         * @return this builder
         */
        public Builder existingTarget(boolean existing) {
            this.existingTarget = existing;
            return this;
        }

        /**
         * Tells qemu-img the existing target already reads as zeros ({@code --target-is-zero}),
         * so it skips writing zeros. Needs {@link #existingTarget(boolean)} and no backing file:
         * with a backing file the target reads the backing data, not zeros.
         *
         * @param zero whether to pass {@code --target-is-zero}; off unless set
         * @return this builder
         */
        public Builder targetIsZero(boolean zero) {
            this.targetIsZero = zero;
            return this;
        }

        /**
         * The run of zero bytes qemu-img leaves unallocated in the target ({@code -S});
         * {@code 0} writes every zero, a fully allocated target.
         *
         * @param bytes the sparse size in bytes; not negative
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative
         */
        public Builder sparseSize(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("sparse size must not be negative: " + bytes);
            }
            this.sparseSize = OptionalLong.of(bytes);
            return this;
        }

        /**
         * Copies the source's persistent dirty bitmaps ({@code --bitmaps}; qcow2 to qcow2).
         *
         * @param copy whether to pass {@code --bitmaps}; off unless set
         * @return this builder
         */
        public Builder bitmaps(boolean copy) {
            this.bitmaps = copy;
            return this;
        }

        /**
         * The number of parallel coroutines qemu-img uses ({@code -m}, 1 to 16; qemu's default is 8).
         *
         * @param count the coroutine count
         * @return this builder
         * @throws IllegalArgumentException if {@code count} is outside 1 to 16
         */
        public Builder coroutines(int count) {
            if (count < 1 || count > MAX_COROUTINES) {
                throw new IllegalArgumentException("coroutines must be 1 to " + MAX_COROUTINES + ": " + count);
            }
            this.coroutines = OptionalInt.of(count);
            return this;
        }

        /**
         * A timeout for this run, replacing the {@link QemuImg#withTimeout(Duration)} one.
         *
         * @param timeout how long qemu-img may run before it is killed; positive
         * @return this builder
         * @throws IllegalArgumentException if the timeout is not positive
         */
        public Builder timeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + timeout);
            }
            this.timeout = timeout;
            this.noTimeout = false;
            return this;
        }

        /**
         * Runs qemu-img without a timeout: a conversion of a large image takes as long as it
         * takes, and its caller stops it through {@link #onStart(Consumer)}'s handle.
         *
         * @return this builder
         */
        public Builder noTimeout() {
            this.timeout = null;
            this.noTimeout = true;
            return this;
        }

        /**
         * Starts qemu-img through {@code launcher}, e.g. {@code setpriv --pdeathsig KILL --} or
         * {@code nice -n 10}: programs that set something up and exec the next in place, so the
         * process handle stays qemu-img's.
         *
         * @param launcher the program and its arguments put before qemu-img; appended to any
         *     launcher given before
         * @return this builder
         * @throws NullPointerException if the list or one of its elements is null
         */
        public Builder launchedThrough(List<String> launcher) {
            for (String part : launcher) {
                this.launcher.add(Objects.requireNonNull(part, "launcher element"));
            }
            return this;
        }

        /**
         * Receives the process handle as soon as qemu-img started, to cancel it or move it into
         * a cgroup.
         *
         * @param listener called once, on the thread running {@link QemuImg#convert}; must not block
         * @return this builder
         * @throws NullPointerException if {@code listener} is null
         */
        public Builder onStart(Consumer<ProcessHandle> listener) {
            this.startListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * The source is encrypted (a LUKS volume, or qcow2 with {@code encrypt.format=luks}) and
         * is unlocked with the {@code secret} object {@code secretId}, which must also be passed
         * with {@link #object(QemuObject)}. The source is then named through
         * {@code --image-opts driver=<format>,...,file.driver=file,file.filename=<path>} instead
         * of {@code -f <format> <path>}: the driver is still the given format (qemu never probes),
         * and the protocol is pinned to a plain file.
         *
         * @param secretId the id of the secret object holding the source's passphrase
         * @return this builder
         * @throws IllegalArgumentException if the id is not a plain name
         */
        public Builder sourceKeySecret(String secretId) {
            this.sourceKeySecret = QemuImg.requireOptionKey(secretId);
            return this;
        }

        /**
         * Builds the request.
         *
         * @return an immutable request with the options set so far
         * @throws IllegalArgumentException if {@code --target-is-zero} is asked without
         *     {@code -n}, or together with a backing file option, or a source key secret is given
         *     for a format other than luks or qcow2
         */
        public QemuImgConvertRequest build() {
            if (targetIsZero && !existingTarget) {
                throw new IllegalArgumentException("--target-is-zero needs an existing target (-n)");
            }
            if (targetIsZero && options.containsKey("backing_file")) {
                throw new IllegalArgumentException("--target-is-zero cannot be used with a backing file");
            }
            if (sourceKeySecret != null) {
                QemuImg.requireEncryptableFormat(sourceFormat);
            }
            return new QemuImgConvertRequest(this);
        }
    }
}
