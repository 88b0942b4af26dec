package dev.diskimage.core;

import com.google.common.collect.ImmutableMap;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The options of {@code qemu-img create}: target path and format, size, a backing file (always
 * with its format, so qemu never probes it), {@code -o} options (kept in the order given, so the
 * same request always gives the same command line) and {@code --object}s. Immutable once built.
 */
public final class QemuImgCreateRequest {
    private final Path target;
    private final DiskFormat format;
    private final OptionalLong size;
    private final Optional<String> backingFile;
    private final Optional<DiskFormat> backingFormat;
    private final Map<String, String> options;
    private final List<QemuObject> objects;

    private QemuImgCreateRequest(Builder b) {
        this.target = b.target;
        this.format = b.format;
        this.size = b.size;
        this.backingFile = Optional.ofNullable(b.backingFile);
        this.backingFormat = Optional.ofNullable(b.backingFormat);
        this.options = ImmutableMap.copyOf(b.options);
        this.objects = List.copyOf(b.objects);
    }

    /**
     * Starts a request to create {@code target} in {@code format}.
     *
     * @param target the image file to create; qemu-img overwrites an existing file
     * @param format the new image's format, passed as {@code -f}
     * @return a builder without size, backing file, options or objects
     * @throws NullPointerException if {@code target} or {@code format} is null
     */
    public static Builder builder(Path target, DiskFormat format) {
        return new Builder(target, format);
    }

    /** The qemu-img arguments after the program name. */
    List<String> arguments() {
        List<String> args = new ArrayList<>(List.of("create", "-f", format.qemuName()));
        for (QemuObject object : objects) {
            args.add("--object");
            args.add(object.toArgument());
        }
        if (backingFile.isPresent()) {
            args.add("-b");
            args.add(backingFile.get());
            args.add("-F");
            args.add(backingFormat.orElseThrow().qemuName());
        }
        QemuImg.addOptions(args, options);
        args.add(QemuImg.pathArgument(target));
        size.ifPresent(bytes -> args.add(Long.toString(bytes)));
        return args;
    }

    /** Collects create options. */
    public static final class Builder {
        private final Path target;
        private final DiskFormat format;
        private OptionalLong size = OptionalLong.empty();
        private String backingFile;
        private DiskFormat backingFormat;
        private final Map<String, String> options = new LinkedHashMap<>();
        private final List<QemuObject> objects = new ArrayList<>();

        private Builder(Path target, DiskFormat format) {
            this.target = Objects.requireNonNull(target, "target");
            this.format = Objects.requireNonNull(format, "format");
        }

        /**
         * The virtual size in bytes; may be omitted when a backing file gives it.
         *
         * @param bytes the new image's virtual size in bytes; not negative
         * @return this builder
         * @throws IllegalArgumentException if {@code bytes} is negative
         */
        public Builder size(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("size must not be negative: " + bytes);
            }
            this.size = OptionalLong.of(bytes);
            return this;
        }

        /**
         * A backing file (written into the image as given) and its format.
         *
         * @param file the backing file as it should be written into the image, passed as
         *     {@code -b}; a relative name is resolved by qemu against the new image's directory
         * @param format the backing file's format, passed as {@code -F} so qemu never probes it
         * @return this builder
         * @throws NullPointerException if {@code file} or {@code format} is null
         */
        public Builder backingFile(String file, DiskFormat format) {
            this.backingFile = Objects.requireNonNull(file, "file");
            this.backingFormat = Objects.requireNonNull(format, "format");
            return this;
        }

        /**
         * A format option for {@code -o}, e.g. {@code compat=0.10} or
         * {@code subformat=streamOptimized}. Options reach the command line in the order they
         * were given; giving a key again replaces its value.
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
         * An {@code --object}, e.g. the secret for {@code encrypt.key-secret}/{@code key-secret}.
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
         * Builds the request.
         *
         * @return an immutable request with the options set so far
         * @throws IllegalStateException if neither a size nor a backing file is set
         */
        public QemuImgCreateRequest build() {
            if (size.isEmpty() && backingFile == null) {
                throw new IllegalStateException("create needs a size or a backing file");
            }
            return new QemuImgCreateRequest(this);
        }
    }
}
