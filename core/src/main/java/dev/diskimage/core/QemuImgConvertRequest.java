package dev.diskimage.core;

import com.google.common.collect.ImmutableMap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.DoubleConsumer;

/**
 * The options of {@code qemu-img convert}: source and target with their formats (the source
 * format is always given, so qemu never probes), {@code -o} target options (kept in the order
 * given, so the same request always gives the same command line), compression, cache modes,
 * {@code --object}s and a progress listener fed from {@code -p}. Immutable once built.
 */
public final class QemuImgConvertRequest {
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

    /** The qemu-img arguments after the program name. */
    List<String> arguments() {
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
        cacheMode.ifPresent(mode -> {
            args.add("-t");
            args.add(mode.qemuName());
        });
        sourceCacheMode.ifPresent(mode -> {
            args.add("-T");
            args.add(mode.qemuName());
        });
        args.add("-f");
        args.add(sourceFormat.qemuName());
        args.add("-O");
        args.add(targetFormat.qemuName());
        QemuImg.addOptions(args, options);
        args.add(QemuImg.pathArgument(source));
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
         * Builds the request.
         *
         * @return an immutable request with the options set so far
         */
        public QemuImgConvertRequest build() {
            return new QemuImgConvertRequest(this);
        }
    }
}
