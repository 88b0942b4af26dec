package dev.diskimage.conversion;

import dev.diskimage.core.CacheMode;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.crypto.Passphrase;
import dev.diskimage.validation.ValidatedImage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.DoubleConsumer;
import java.util.regex.Pattern;

/**
 * One conversion for {@link ImageConverter}: the source (a path the converter validates, or an
 * image the validator already accepted), the target path and format, and how to write it.
 * Built with {@link #builder(Path, Path, DiskFormat)} or
 * {@link #builder(ValidatedImage, Path, DiskFormat)}; immutable once built. New options (such as
 * the LUKS encryption of targets, {@link Builder#encryption(LuksTarget)}, the passphrase of an
 * encrypted source, {@link Builder#sourcePassphrase(Passphrase)}, and the explicit
 * {@link Builder#decrypt(boolean)}) arrive as new builder methods with defaults, so existing
 * callers keep compiling and behaving the same.
 */
public final class ConvertRequest {
    private static final Pattern OPTION_KEY = Pattern.compile("^[A-Za-z][A-Za-z0-9_.-]*$");

    private final Optional<Path> sourcePath;
    private final Optional<ValidatedImage> validatedSource;
    private final Optional<DiskFormat> declaredSourceFormat;
    private final Path target;
    private final DiskFormat targetFormat;
    private final Map<String, String> options;
    private final boolean compress;
    private final Throttle throttle;
    private final TargetCache cache;
    private final Optional<CacheMode> sourceCache;
    private final Optional<DoubleConsumer> progress;
    private final Optional<Duration> timeout;
    private final boolean existingTarget;
    private final boolean targetIsZero;
    private final boolean sparse;
    private final boolean keepBitmaps;
    private final OptionalInt coroutines;
    private final boolean background;
    private final Optional<LuksTarget> encryption;
    private final Optional<Passphrase> sourcePassphrase;
    private final boolean decrypt;

    private ConvertRequest(Builder b) {
        this.sourcePath = Optional.ofNullable(b.sourcePath);
        this.validatedSource = Optional.ofNullable(b.validatedSource);
        this.declaredSourceFormat = Optional.ofNullable(b.declaredSourceFormat);
        this.target = b.target;
        this.targetFormat = b.targetFormat;
        this.options = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.options));
        this.compress = b.compress;
        this.throttle = b.throttle;
        this.cache = b.cache;
        this.sourceCache = Optional.ofNullable(b.sourceCache);
        this.progress = Optional.ofNullable(b.progress);
        this.timeout = Optional.ofNullable(b.timeout);
        this.existingTarget = b.existingTarget;
        this.targetIsZero = b.targetIsZero;
        this.sparse = b.sparse;
        this.keepBitmaps = b.keepBitmaps;
        this.coroutines = b.coroutines;
        this.background = b.background;
        this.encryption = Optional.ofNullable(b.encryption);
        this.sourcePassphrase = Optional.ofNullable(b.sourcePassphrase);
        this.decrypt = b.decrypt;
    }

    /**
     * Starts a request for a source the converter validates itself (with its validator's policy)
     * before qemu-img may open it.
     *
     * @param source the image file to convert
     * @param target where the converted image appears: a file path (written beside it and
     *     renamed into place, replacing a file already there only once the conversion
     *     succeeded) or a block device (written in place)
     * @param targetFormat the format to write, passed as {@code -O}
     * @return a builder with the defaults: no options, no compression, no throttle,
     *     {@link TargetCache#AUTO}, sparse output, no timeout, no progress listener
     * @throws NullPointerException if an argument is null
     */
    public static Builder builder(Path source, Path target, DiskFormat targetFormat) {
        return new Builder(Objects.requireNonNull(source, "source"), null, target, targetFormat);
    }

    /**
     * Starts a request for an image the validator already accepted.
     *
     * @param source the accepted image; checked unchanged right before qemu-img runs
     * @param target where the converted image appears, as in {@link #builder(Path, Path, DiskFormat)}
     * @param targetFormat the format to write, passed as {@code -O}
     * @return a builder with the defaults of {@link #builder(Path, Path, DiskFormat)}
     * @throws NullPointerException if an argument is null
     */
    public static Builder builder(ValidatedImage source, Path target, DiskFormat targetFormat) {
        return new Builder(null, Objects.requireNonNull(source, "source"), target, targetFormat);
    }

    /**
     * The source path, whether given as a path or as a validated image.
     *
     * @return the source file
     */
    public Path source() {
        return validatedSource.map(ValidatedImage::path).orElseGet(sourcePath::orElseThrow);
    }

    /**
     * The image the validator already accepted, if the request was built with one.
     *
     * @return the validated source, or empty when the converter validates {@link #source()} itself
     */
    public Optional<ValidatedImage> validatedSource() {
        return validatedSource;
    }

    /**
     * The format the caller declares the source to be, if any.
     *
     * @return the declared format; the bytes must agree, or the source is refused
     */
    public Optional<DiskFormat> declaredSourceFormat() {
        return declaredSourceFormat;
    }

    /**
     * Where the converted image appears.
     *
     * @return the target path
     */
    public Path target() {
        return target;
    }

    /**
     * The format to write.
     *
     * @return the target format, passed as {@code -O}
     */
    public DiskFormat targetFormat() {
        return targetFormat;
    }

    /**
     * The target's creation options ({@code -o}), in the order given.
     *
     * @return option name to value; unmodifiable
     */
    public Map<String, String> options() {
        return options;
    }

    /**
     * Whether the target is compressed ({@code -c}).
     *
     * @return true if compression was asked
     */
    public boolean compress() {
        return compress;
    }

    /**
     * The I/O throttle.
     *
     * @return the throttle; {@link Throttle#none()} unless set
     */
    public Throttle throttle() {
        return throttle;
    }

    /**
     * How the target is written.
     *
     * @return the target cache policy; {@link TargetCache#AUTO} unless set
     */
    public TargetCache cache() {
        return cache;
    }

    /**
     * The source cache mode ({@code -T}), if set.
     *
     * @return the mode, or empty for qemu-img's default
     */
    public Optional<CacheMode> sourceCache() {
        return sourceCache;
    }

    /**
     * The progress listener, if any.
     *
     * @return the listener receiving percentages from 0 to 100
     */
    public Optional<DoubleConsumer> progress() {
        return progress;
    }

    /**
     * The timeout, if the caller set one.
     *
     * @return the time after which qemu-img is stopped; empty: no timeout
     */
    public Optional<Duration> timeout() {
        return timeout;
    }

    /**
     * Whether the target exists already and is written into ({@code -n}).
     *
     * @return true for an existing target
     */
    public boolean existingTarget() {
        return existingTarget;
    }

    /**
     * Whether the existing target reads as zeros ({@code --target-is-zero}).
     *
     * @return true if the caller said so
     */
    public boolean targetIsZero() {
        return targetIsZero;
    }

    /**
     * Whether zero runs stay unallocated in the target.
     *
     * @return false when every byte is written ({@code -S 0})
     */
    public boolean sparse() {
        return sparse;
    }

    /**
     * Whether qcow2 bitmaps are copied ({@code --bitmaps}).
     *
     * @return true if asked
     */
    public boolean keepBitmaps() {
        return keepBitmaps;
    }

    /**
     * The parallel coroutines qemu-img uses ({@code -m}), if set.
     *
     * @return the count, or empty for qemu-img's default
     */
    public OptionalInt coroutines() {
        return coroutines;
    }

    /**
     * Whether qemu-img runs at background CPU and I/O priority ({@code nice}, {@code ionice}).
     *
     * @return true for a background conversion
     */
    public boolean background() {
        return background;
    }

    /**
     * How the target is encrypted, if it is.
     *
     * @return the LUKS encryption of a qcow2 or luks target; empty for a plain target
     */
    public Optional<LuksTarget> encryption() {
        return encryption;
    }

    /**
     * The passphrase that unlocks an encrypted source, if given.
     *
     * @return the source passphrase
     */
    public Optional<Passphrase> sourcePassphrase() {
        return sourcePassphrase;
    }

    /**
     * Whether an encrypted source may become a plain (unencrypted) target.
     *
     * @return true only if the caller asked for it with {@link Builder#decrypt(boolean)}
     */
    public boolean decrypt() {
        return decrypt;
    }

    /**
     * Names the source, the target and the formats; says whether passphrases are set, never
     * what they are.
     *
     * @return a one-line description
     */
    @Override
    public String toString() {
        return "ConvertRequest[source=" + source() + ", target=" + target + ", targetFormat="
                + targetFormat.qemuName() + encryption.map(e -> ", encryption=" + e).orElse("")
                + sourcePassphrase.map(p -> ", sourcePassphrase=" + p).orElse("") + (decrypt ? ", decrypt" : "")
                + "]";
    }

    /** Collects the options of a {@link ConvertRequest}. */
    public static final class Builder {
        private final Path sourcePath;
        private final ValidatedImage validatedSource;
        private DiskFormat declaredSourceFormat;
        private final Path target;
        private final DiskFormat targetFormat;
        private final Map<String, String> options = new LinkedHashMap<>();
        private boolean compress;
        private Throttle throttle = Throttle.none();
        private TargetCache cache = TargetCache.AUTO;
        private CacheMode sourceCache;
        private DoubleConsumer progress;
        private Duration timeout;
        private boolean existingTarget;
        private boolean targetIsZero;
        private boolean sparse = true;
        private boolean keepBitmaps;
        private OptionalInt coroutines = OptionalInt.empty();
        private boolean background;
        private LuksTarget encryption;
        private Passphrase sourcePassphrase;
        private boolean decrypt;

        private Builder(Path sourcePath, ValidatedImage validatedSource, Path target, DiskFormat targetFormat) {
            this.sourcePath = sourcePath;
            this.validatedSource = validatedSource;
            this.target = Objects.requireNonNull(target, "target");
            this.targetFormat = Objects.requireNonNull(targetFormat, "targetFormat");
        }

        /**
         * Declares the source's format; the validator refuses a source whose bytes say otherwise.
         *
         * @param format the declared format (Glance or qemu name already resolved); not null
         * @return this builder
         * @throws NullPointerException if {@code format} is null
         */
        public Builder sourceFormat(DiskFormat format) {
            this.declaredSourceFormat = Objects.requireNonNull(format, "format");
            return this;
        }

        /**
         * A target creation option ({@code -o key=value}), such as {@code subformat=streamOptimized}
         * (vmdk), {@code subformat=fixed} (vpc), {@code compat=1.1} or {@code preallocation=falloc}
         * (qcow2). Options keep the order given; a key given again replaces its value.
         *
         * @param key the option name: a letter, then letters, digits, {@code _}, {@code .}, {@code -}
         * @param value the value; not null
         * @return this builder
         * @throws IllegalArgumentException if the key is not a plain option name
         * @throws NullPointerException if {@code value} is null
         */
        public Builder option(String key, String value) {
            if (key == null || !OPTION_KEY.matcher(key).matches()) {
                throw new IllegalArgumentException("bad target option name: " + key);
            }
            options.put(key, Objects.requireNonNull(value, "value"));
            return this;
        }

        /**
         * Compresses the target ({@code -c}); only qcow2 and vmdk {@code streamOptimized} can
         * store compressed data, any other target format is refused when the conversion starts.
         *
         * @param compress whether to compress; off unless set
         * @return this builder
         */
        public Builder compress(boolean compress) {
            this.compress = compress;
            return this;
        }

        /**
         * Limits the conversion's I/O.
         *
         * @param throttle the throttle; not null
         * @return this builder
         * @throws NullPointerException if {@code throttle} is null
         */
        public Builder throttle(Throttle throttle) {
            this.throttle = Objects.requireNonNull(throttle, "throttle");
            return this;
        }

        /**
         * How the target is written.
         *
         * @param cache the policy; not null
         * @return this builder
         * @throws NullPointerException if {@code cache} is null
         */
        public Builder cache(TargetCache cache) {
            this.cache = Objects.requireNonNull(cache, "cache");
            return this;
        }

        /**
         * The source cache mode ({@code -T}); without it qemu-img reads through the page cache.
         *
         * @param mode the mode; not null
         * @return this builder
         * @throws NullPointerException if {@code mode} is null
         */
        public Builder sourceCache(CacheMode mode) {
            this.sourceCache = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Receives the progress qemu-img reports ({@code -p}), as percentages from 0 to 100.
         *
         * @param listener called on an output thread; must not block; not null
         * @return this builder
         * @throws NullPointerException if {@code listener} is null
         */
        public Builder progress(DoubleConsumer listener) {
            this.progress = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * Stops the conversion when it takes longer than {@code timeout}. Without this call there
         * is no timeout: a large conversion takes as long as it takes.
         *
         * @param timeout positive
         * @return this builder
         * @throws IllegalArgumentException if the timeout is not positive
         */
        public Builder timeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * The target exists already (a volume, a pre-created file) and is written in place
         * ({@code -n}); with {@code readsAsZeros} (a fresh volume) qemu-img also skips writing
         * zeros ({@code --target-is-zero}). Target creation options do not apply then.
         *
         * @param readsAsZeros whether every byte of the existing target reads as zero
         * @return this builder
         */
        public Builder existingTarget(boolean readsAsZeros) {
            this.existingTarget = true;
            this.targetIsZero = readsAsZeros;
            return this;
        }

        /**
         * Whether zero runs stay unallocated; {@code false} writes every byte ({@code -S 0}),
         * and a raw target is then written out of order ({@code -W}).
         *
         * @param sparse true by default
         * @return this builder
         */
        public Builder sparse(boolean sparse) {
            this.sparse = sparse;
            return this;
        }

        /**
         * Copies the source's persistent bitmaps ({@code --bitmaps}); qcow2 to qcow2 only.
         *
         * @param keep whether to copy them; off unless set
         * @return this builder
         */
        public Builder keepBitmaps(boolean keep) {
            this.keepBitmaps = keep;
            return this;
        }

        /**
         * The parallel coroutines qemu-img uses ({@code -m}), 1 to 16.
         *
         * @param count the coroutine count
         * @return this builder
         * @throws IllegalArgumentException if {@code count} is outside 1 to 16
         */
        public Builder coroutines(int count) {
            if (count < 1 || count > dev.diskimage.core.QemuImgConvertRequest.MAX_COROUTINES) {
                throw new IllegalArgumentException("coroutines must be 1 to 16: " + count);
            }
            this.coroutines = OptionalInt.of(count);
            return this;
        }

        /**
         * Runs qemu-img at background priority: {@code nice -n 10} and the lowest best-effort
         * I/O priority ({@code ionice -c 2 -n 7}), so interactive work on the host comes first.
         *
         * @param background off unless set
         * @return this builder
         */
        public Builder background(boolean background) {
            this.background = background;
            return this;
        }

        /**
         * Encrypts the target with LUKS: a qcow2 target gets {@code encrypt.format=luks}, a luks
         * target is a LUKS container. The passphrase reaches qemu-img through a 0600 secret file
         * ({@code --object secret,id=..,file=..}), deleted when qemu-img has finished.
         *
         * @param target the cipher and the passphrase; not null
         * @return this builder
         * @throws NullPointerException if {@code target} is null
         */
        public Builder encryption(LuksTarget target) {
            this.encryption = Objects.requireNonNull(target, "target");
            return this;
        }

        /**
         * The passphrase of an encrypted source (a LUKS1 file, or qcow2 with LUKS encryption).
         * For a LUKS file it is proved in Java before qemu-img starts; qemu-img then opens the
         * source through {@code --image-opts} with the secret's id. Ignored for a plain source.
         *
         * @param passphrase the source's passphrase; not null
         * @return this builder
         * @throws NullPointerException if {@code passphrase} is null
         */
        public Builder sourcePassphrase(Passphrase passphrase) {
            this.sourcePassphrase = Objects.requireNonNull(passphrase, "passphrase");
            return this;
        }

        /**
         * The passphrase of an encrypted source, read from {@code file} (all its bytes).
         *
         * @param file the passphrase file; not null
         * @return this builder
         * @throws NullPointerException if {@code file} is null
         */
        public Builder sourcePassphrase(Path file) {
            return sourcePassphrase(Passphrase.fromFile(file));
        }

        /**
         * Allows an encrypted source to become a plain target. Without it such a conversion is
         * refused ({@link ConversionRefusedException.Reason#DECRYPTION_NOT_ALLOWED}) before
         * qemu-img runs: writing the plaintext of an encrypted volume must be a decision, never a
         * forgotten option (Cinder refuses it outright).
         *
         * @param decrypt off unless set
         * @return this builder
         */
        public Builder decrypt(boolean decrypt) {
            this.decrypt = decrypt;
            return this;
        }

        /**
         * Builds the request.
         *
         * @return an immutable request
         * @throws IllegalArgumentException if creation options are given for an existing target;
         *     if encryption is asked for a target format other than qcow2 and luks, or for an
         *     existing target; if a luks target has no encryption; if the options set encryption
         *     keys themselves (use {@link #encryption(LuksTarget)})
         */
        public ConvertRequest build() {
            if (existingTarget && !options.isEmpty()) {
                throw new IllegalArgumentException("target options apply only when the target is created, not to an"
                        + " existing target: " + options.keySet());
            }
            checkEncryption();
            return new ConvertRequest(this);
        }

        private void checkEncryption() {
            for (String key : options.keySet()) {
                if (key.startsWith("encrypt") || key.equals("key-secret") || key.startsWith("cipher-")
                        || key.startsWith("ivgen-") || key.equals("hash-alg") || key.equals("iter-time")) {
                    throw new IllegalArgumentException("target option " + key + " is set by encryption(LuksTarget),"
                            + " not as an option");
                }
            }
            if (encryption == null) {
                if (targetFormat == DiskFormat.LUKS) {
                    throw new IllegalArgumentException("a luks target needs encryption(LuksTarget): its cipher and"
                            + " passphrase");
                }
                return;
            }
            if (targetFormat != DiskFormat.QCOW2 && targetFormat != DiskFormat.LUKS) {
                throw new IllegalArgumentException("only qcow2 and luks targets can be encrypted, not "
                        + targetFormat.glanceName());
            }
            if (existingTarget) {
                throw new IllegalArgumentException("encryption applies when the target is created, not to an"
                        + " existing target");
            }
        }
    }
}
