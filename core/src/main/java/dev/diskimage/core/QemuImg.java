package dev.diskimage.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.common.base.Supplier;
import com.google.common.base.Suppliers;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code qemu-img} program: every verb this project uses, each building an argument list and
 * running through {@link ProcessRunner}.
 *
 * <p><strong>This is the low-level layer.</strong> The data-moving verbs ({@link #create},
 * {@link #convert}, {@link #resize}, {@link #commit}, {@link #rebase}, {@link #removeBacking})
 * trust their input: they hand the image to qemu-img as it is. An image from an untrusted source
 * (an upload, a download, anything a tenant controls) must first be accepted by the validator,
 * and flows that act on it take the validation module's {@code ValidatedImage}, which only the
 * validator creates; call these verbs directly only on images this process made itself.
 *
 * <p> {@link #info(Path, DiskFormat)} always names the format
 * ({@code -f}), asks for JSON and runs under {@link ProcessLimits} (Cinder's prlimit guard: by
 * default 30 CPU seconds and 1 GiB of address space) and a timeout. Instances are immutable and
 * thread-safe; the {@code with...} methods return configured copies sharing the cached version.
 */
public final class QemuImg {
    /** The program name looked up on the PATH by {@link #system()}. */
    public static final String PROGRAM = "qemu-img";
    /** Default limits for {@code info}, as Cinder's {@code QEMU_IMG_LIMITS}: 30 s CPU, 1 GiB address space. */
    public static final ProcessLimits DEFAULT_INFO_LIMITS = new ProcessLimits(30, 1L << 30);
    /** Default timeout of {@code info} and {@code --version}. */
    public static final Duration DEFAULT_INFO_TIMEOUT = Duration.ofSeconds(60);
    /** Default timeout of the data-moving verbs (convert, commit, rebase, check ...). */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofHours(3);

    // qemu-img compare: exit 1 means "the images differ", 2 an error.
    private static final int COMPARE_DIFFERENT = 1;
    // qemu-img check: exit 1 means the check itself could not complete.
    private static final Set<Integer> CHECK_RESULT_CODES = Set.of(0, 2, 3, 63);
    // "(45.67/100%)" as qemu-img convert -p prints it
    private static final Pattern PROGRESS = Pattern.compile("\\((\\d{1,3}(?:\\.\\d{1,2})?)/100%\\)");
    private static final Pattern OPTION_KEY = Pattern.compile("^[A-Za-z][A-Za-z0-9_.-]*$");

    private final Path binary;
    private final Duration timeout;
    private final Duration infoTimeout;
    private final Optional<ProcessLimits> infoLimits;
    private final Supplier<QemuImgVersion> version;
    private final ProcessRunner runner = ProcessRunner.create();

    /**
     * @param version the shared memoized version, or null to read it with this instance's info
     *     timeout (a failed read is not memoized, so the next call tries again)
     */
    private QemuImg(Path binary, Duration timeout, Duration infoTimeout, Optional<ProcessLimits> infoLimits,
            Supplier<QemuImgVersion> version) {
        this.binary = binary;
        this.timeout = timeout;
        this.infoTimeout = infoTimeout;
        this.infoLimits = infoLimits;
        this.version = version != null ? version : Suppliers.memoize(this::readVersion);
    }

    /**
     * The {@code qemu-img} found on the PATH.
     *
     * @return a {@code qemu-img} running the first executable regular file named {@code qemu-img}
     *     in the PATH directories, with the default timeouts and {@link #DEFAULT_INFO_LIMITS}
     * @throws ProgramUnavailableException if no executable {@code qemu-img} is on the PATH
     */
    public static QemuImg system() {
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path candidate = Path.of(dir, PROGRAM);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return at(candidate);
                }
            }
        }
        throw new ProgramUnavailableException(PROGRAM + " is not on the PATH; install qemu-utils");
    }

    /**
     * A {@code qemu-img} at a configured location. Nothing runs until a verb is called.
     *
     * @param binary the {@code qemu-img} executable; not null, and not checked until a verb runs
     * @return a {@code qemu-img} running {@code binary} with the default timeouts and
     *     {@link #DEFAULT_INFO_LIMITS}
     * @throws NullPointerException if {@code binary} is null
     */
    public static QemuImg at(Path binary) {
        return new QemuImg(Objects.requireNonNull(binary, "binary"), DEFAULT_TIMEOUT, DEFAULT_INFO_TIMEOUT,
                Optional.of(DEFAULT_INFO_LIMITS), null);
    }

    /**
     * A copy using {@code timeout} for the data-moving verbs.
     *
     * @param timeout how long each run of {@code create}, {@code convert}, {@code resize},
     *     {@code check}, {@code commit} and {@code rebase} may take before it is killed; positive
     * @return a copy with that timeout, otherwise configured like this instance and sharing its
     *     cached version
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public QemuImg withTimeout(Duration timeout) {
        return new QemuImg(binary, positive(timeout), infoTimeout, infoLimits, version);
    }

    /**
     * A copy using {@code timeout} for {@code info}, {@code measure} and {@code --version}. The
     * copy reads the version afresh (under the new timeout) if it was not read yet.
     *
     * @param timeout how long each run of {@code info}, {@code measure} and {@code --version} may
     *     take before it is killed; positive
     * @return a copy with that info timeout, otherwise configured like this instance
     * @throws IllegalArgumentException if the timeout is not positive
     */
    public QemuImg withInfoTimeout(Duration timeout) {
        return new QemuImg(binary, this.timeout, positive(timeout), infoLimits, null);
    }

    /**
     * A copy running {@code info} under {@code limits} instead of {@link #DEFAULT_INFO_LIMITS}.
     *
     * @param limits the CPU and address-space limits {@code prlimit} applies to each
     *     {@code info} run; not null
     * @return a copy with those limits, otherwise configured like this instance and sharing its
     *     cached version
     * @throws NullPointerException if {@code limits} is null
     */
    public QemuImg withInfoLimits(ProcessLimits limits) {
        return new QemuImg(binary, timeout, infoTimeout, Optional.of(Objects.requireNonNull(limits, "limits")),
                version);
    }

    /**
     * A copy running {@code info} without process limits. Only for images this process made
     * itself: the limits are what stop a crafted image from making qemu-img spin or allocate
     * without bound.
     *
     * @return a copy whose {@code info} runs without {@code prlimit}, otherwise configured like
     *     this instance and sharing its cached version
     */
    public QemuImg withoutInfoLimits() {
        return new QemuImg(binary, timeout, infoTimeout, Optional.empty(), version);
    }

    /**
     * The program this instance runs.
     *
     * @return the {@code qemu-img} executable, as given to {@link #at(Path)} or found by
     *     {@link #system()}
     */
    public Path binary() {
        return binary;
    }

    /**
     * The limits {@code info} runs under, if any.
     *
     * @return the limits, {@link #DEFAULT_INFO_LIMITS} unless configured otherwise; empty after
     *     {@link #withoutInfoLimits()}
     */
    public Optional<ProcessLimits> infoLimits() {
        return infoLimits;
    }

    /**
     * The version of this qemu-img, read once from {@code qemu-img --version} and cached (a
     * failed read is not cached: the next call asks again).
     *
     * @return the version named by the first {@code qemu-img version X.Y[.Z]} line of the output
     * @throws QemuImgException if {@code --version} fails
     * @throws ImageException if its output names no version
     */
    public QemuImgVersion version() {
        return version.get();
    }

    private QemuImgVersion readVersion() {
        ProcessResult result = run(List.of("--version"), infoTimeout, Optional.empty(), null);
        return QemuImgVersion.parseVersionOutput(result.stdout());
    }

    /**
     * Checks that this qemu-img is at least {@code minimum} (Cinder's {@code check_qemu_img_version}).
     *
     * @param minimum the oldest version accepted
     * @throws QemuImgVersionException naming both versions if it is older
     * @throws QemuImgException if {@code --version} fails
     * @throws ImageException if its output names no version
     */
    public void requireVersion(QemuImgVersion minimum) {
        QemuImgVersion found = version();
        if (!found.isAtLeast(minimum)) {
            throw new QemuImgVersionException(found, minimum);
        }
    }

    /**
     * {@code qemu-img info -f <format> --output=json [-U] <image>} under the info limits and timeout.
     * The format is always named so qemu never probes; {@code -U} (qemu 2.10+) lets it read an
     * image another process holds open. Backing files are not opened.
     *
     * @param image the image file; a relative path starting with {@code -} or containing
     *     {@code :} is passed with a {@code ./} prefix, so qemu reads it as a plain file
     * @param format the format qemu must read the image as, passed as {@code -f} in its qemu name
     * @return what qemu-img reports about the image alone (no {@link QemuImgInfo#backingImage()})
     * @throws QemuImgException if qemu-img fails or times out
     * @throws QemuImgInfoParseException if its answer is malformed or too large
     */
    public QemuImgInfo info(Path image, DiskFormat format) {
        return runInfo(image, Optional.of(format), false);
    }

    /**
     * Like {@link #info(Path, DiskFormat)}, but with {@code --backing-chain}: qemu opens every
     * backing file named in the chain, so call it only on images a validator has accepted with a
     * policy that allows backing files. The chain is linked through
     * {@link QemuImgInfo#backingImage()}.
     *
     * @param image the top image file of the chain, passed as in {@link #info(Path, DiskFormat)}
     * @param format the format of the top image, passed as {@code -f}; the backing files are read
     *     in the formats the images record
     * @return the top image's info, its backing images nested through
     *     {@link QemuImgInfo#backingImage()}
     * @throws QemuImgException if qemu-img fails or times out
     * @throws QemuImgInfoParseException if its answer is malformed or too large
     */
    public QemuImgInfo infoWithBackingChain(Path image, DiskFormat format) {
        return runInfo(image, Optional.of(format), true);
    }

    /**
     * <strong>Dangerous, hence not public:</strong> {@code qemu-img info} without {@code -f},
     * letting qemu guess the format. A raw image whose first bytes look like another format's
     * header is then read as that format, which is how crafted images reach files outside
     * themselves. Kept for tests that show {@link #info(Path, DiskFormat)} does not probe. Runs
     * under the same limits and timeout.
     *
     * @throws QemuImgException if qemu-img fails or times out
     * @throws QemuImgInfoParseException if its answer is malformed or too large
     */
    QemuImgInfo probeInfo(Path image) {
        return runInfo(image, Optional.empty(), false);
    }

    private QemuImgInfo runInfo(Path image, Optional<DiskFormat> format, boolean backingChain) {
        List<String> args = new ArrayList<>(List.of("info"));
        format.ifPresent(f -> {
            args.add("-f");
            args.add(f.qemuName());
        });
        args.add("--output=json");
        if (version().isAtLeast(QemuImgVersion.FORCE_SHARE)) {
            args.add("-U");
        }
        if (backingChain) {
            args.add("--backing-chain");
        }
        args.add(pathArgument(image));
        ProcessResult result = run(args, infoTimeout, infoLimits, null);
        if (result.stdoutTruncated()) {
            throw new QemuImgInfoParseException("qemu-img info answer for " + image + " is larger than "
                    + QemuImgInfo.MAX_JSON_CHARS + " bytes");
        }
        return QemuImgInfo.fromJson(result.stdout());
    }

    /**
     * {@code qemu-img create}. When qemu's PBKDF benchmark for a LUKS key fails to measure any
     * CPU time (a known qemu flake on fast machines), the create is repeated a few times: the
     * next benchmark almost always succeeds, and create overwrites what the failed one left.
     *
     * <p><strong>Low-level layer: trusts its input.</strong> qemu-img opens the backing file the request
     * names, if any. An image from an untrusted source must be accepted by
     * the validator first and reach this call only through the validation module's
     * {@code ValidatedImage}.
     *
     * @param request the image to create: target path, format, size or backing file, options
     * @throws QemuImgException if qemu-img fails, or the flake persists
     */
    public void create(QemuImgCreateRequest request) {
        for (int attempt = 1; ; attempt++) {
            try {
                run(request.arguments(), timeout, Optional.empty(), null);
                return;
            } catch (QemuImgException e) {
                if (attempt >= PBKDF_BENCHMARK_ATTEMPTS || !e.stderrTail().contains(PBKDF_BENCHMARK_FLAKE)) {
                    throw e;
                }
            }
        }
    }

    /**
     * {@code qemu-img convert}; with a progress listener, {@code -p} output is parsed and each
     * percentage passed on as it arrives.
     *
     * <p><strong>Low-level layer: trusts its input.</strong> qemu-img opens the image as it is,
     * including any backing file it names. An image from an untrusted source must be accepted by
     * the validator first and reach this call only through the validation module's
     * {@code ValidatedImage}.
     *
     * <p>qemu-img writes the target in place: when it fails or times out, whatever it wrote so
     * far stays at the target path. The exception says whether a file is there
     * ({@link QemuImgConvertException#partialTarget()}); it is not a usable image and the caller
     * must delete it (the validated conversion flow does).
     *
     * @param request what to convert: source and target with their formats, options, and an
     *     optional progress listener that receives percentages from 0 to 100
     * @throws QemuImgConvertException if qemu-img fails or times out, naming the target and
     *     whether a partial file remains there
     */
    public void convert(QemuImgConvertRequest request) {
        Consumer<String> lines = request.progress().<Consumer<String>>map(listener -> line -> {
            Matcher m = PROGRESS.matcher(line);
            if (m.find()) {
                listener.accept(Double.parseDouble(m.group(1)));
            }
        }).orElse(null);
        ProcessRequest.Builder process = builder(request.launcher(), request.arguments(),
                request.timeout().orElse(timeout), Optional.empty(), lines);
        if (request.noTimeout()) {
            process.noTimeout();
        }
        request.startListener().ifPresent(process::onStart);
        ProcessResult result = runner.run(process.build());
        if (!result.succeeded()) {
            Path target = request.target();
            throw new QemuImgConvertException(result, target, Files.exists(target, LinkOption.NOFOLLOW_LINKS));
        }
    }

    /**
     * {@code qemu-img resize -f <format> [--shrink] <image> <newSize>}.
     *
     * <p><strong>Low-level layer: trusts its input.</strong> qemu-img opens the image as it is,
     * including any backing file it names. An image from an untrusted source must be accepted by
     * the validator first and reach this call only through the validation module's
     * {@code ValidatedImage}.
     *
     * @param image the image file to resize in place
     * @param format the image's format, passed as {@code -f}
     * @param newSize the new virtual size in bytes; not negative
     * @param allowShrink pass {@code --shrink}; without it qemu refuses to lose data
     * @throws IllegalArgumentException if {@code newSize} is negative
     * @throws QemuImgException if qemu-img fails
     */
    public void resize(Path image, DiskFormat format, long newSize, boolean allowShrink) {
        if (newSize < 0) {
            throw new IllegalArgumentException("newSize must not be negative: " + newSize);
        }
        List<String> args = new ArrayList<>(List.of("resize", "-f", format.qemuName()));
        if (allowShrink) {
            args.add("--shrink");
        }
        args.add(pathArgument(image));
        args.add(Long.toString(newSize));
        run(args, timeout, Optional.empty(), null);
    }

    /**
     * {@code qemu-img resize --object <secret> --image-opts driver=<format>,<key>=<id>,file.driver=file,
     * file.filename=<image> [--shrink] <newSize>}: resizes an encrypted image (a LUKS volume, or
     * qcow2 with LUKS encryption), which qemu can only open with its key. The passphrase stays in
     * the secret's file; the command line names the file and the id only.
     *
     * <p><strong>Low-level layer: trusts its input</strong>, as {@link #resize(Path, DiskFormat, long, boolean)}.
     *
     * @param image the encrypted image file to resize in place
     * @param format {@link DiskFormat#LUKS} or {@link DiskFormat#QCOW2}: the driver qemu opens it with
     * @param secret the {@code secret} object holding the passphrase (see {@link QemuObject#secretFile})
     * @param newSize the new virtual size in bytes; not negative
     * @param allowShrink pass {@code --shrink}
     * @throws IllegalArgumentException if {@code newSize} is negative, the format cannot be
     *     encrypted, or the object is not a secret with an id
     * @throws QemuImgException if qemu-img fails (a wrong passphrase included)
     */
    public void resizeEncrypted(Path image, DiskFormat format, QemuObject secret, long newSize, boolean allowShrink) {
        if (newSize < 0) {
            throw new IllegalArgumentException("newSize must not be negative: " + newSize);
        }
        requireEncryptableFormat(format);
        String id = secret.properties().get("id");
        if (!"secret".equals(secret.type()) || id == null) {
            throw new IllegalArgumentException("an encrypted image needs a secret object with an id");
        }
        List<String> args = new ArrayList<>(List.of("resize", "--object", secret.toArgument(), "--image-opts"));
        if (allowShrink) {
            args.add("--shrink");
        }
        args.add(encryptedImageOpts(image, format, id));
        args.add(Long.toString(newSize));
        run(args, timeout, Optional.empty(), null);
    }

    /**
     * {@code qemu-img measure}: space needed to convert {@code source} to {@code targetFormat}.
     *
     * @param source the image file to measure
     * @param sourceFormat the source's format, passed as {@code -f}
     * @param targetFormat the format of the conversion's target, passed as {@code -O}
     * @return the bytes the target would need, as allocated now and fully allocated
     * @throws QemuImgException if qemu-img fails
     * @throws QemuImgInfoParseException if its answer is malformed
     */
    public QemuImgMeasurement measure(Path source, DiskFormat sourceFormat, DiskFormat targetFormat) {
        return measure(List.of("-f", sourceFormat.qemuName(), pathArgument(source)), targetFormat);
    }

    /**
     * {@code qemu-img measure --size}: space a new image of {@code virtualSize} bytes needs.
     *
     * @param virtualSize the new image's virtual size in bytes
     * @param targetFormat the new image's format, passed as {@code -O}
     * @return the bytes a new empty image needs ({@code required}) and needs fully allocated
     * @throws QemuImgException if qemu-img fails
     * @throws QemuImgInfoParseException if its answer is malformed
     */
    public QemuImgMeasurement measure(long virtualSize, DiskFormat targetFormat) {
        return measure(List.of("--size", Long.toString(virtualSize)), targetFormat);
    }

    private QemuImgMeasurement measure(List<String> what, DiskFormat targetFormat) {
        List<String> args = new ArrayList<>(List.of("measure", "--output=json", "-O", targetFormat.qemuName()));
        args.addAll(what);
        ProcessResult result = run(args, infoTimeout, Optional.empty(), null);
        JsonNode json = QemuImgInfoReader.parseJson(result.stdout(), "qemu-img measure");
        return new QemuImgMeasurement(
                QemuImgInfoReader.optionalCount(json, "required", "$")
                        .orElseThrow(() -> new QemuImgInfoParseException("qemu-img measure: 'required' missing")),
                QemuImgInfoReader.optionalCount(json, "fully-allocated", "$")
                        .orElseThrow(() -> new QemuImgInfoParseException("qemu-img measure: 'fully-allocated' missing")),
                QemuImgInfoReader.optionalCount(json, "bitmaps", "$"));
    }

    /**
     * {@code qemu-img compare -f <format> -F <format> [-s] -U <first> <second>}: whether two images
     * show the guest the same content. Exit code 1 ("differ") is a result, not a failure.
     *
     * <p><strong>Low-level layer: trusts its input.</strong> qemu-img opens both images as they
     * are, including any backing file they name.
     *
     * @param first the first image file
     * @param firstFormat its format, passed as {@code -f}
     * @param second the second image file
     * @param secondFormat its format, passed as {@code -F}
     * @param strict {@code -s}: images of different sizes differ, and an unallocated area differs
     *     from an allocated one even when both read as zeros
     * @return {@link QemuImgComparison#IDENTICAL} for exit code 0, {@link QemuImgComparison#DIFFERENT} for 1
     * @throws QemuImgException on any other exit code (an image could not be read) or a timeout
     */
    public QemuImgComparison compare(Path first, DiskFormat firstFormat, Path second, DiskFormat secondFormat,
            boolean strict) {
        List<String> args = new ArrayList<>(List.of("compare", "-f", firstFormat.qemuName(), "-F",
                secondFormat.qemuName()));
        if (strict) {
            args.add("-s");
        }
        if (version().isAtLeast(QemuImgVersion.FORCE_SHARE)) {
            args.add("-U");
        }
        args.add(pathArgument(first));
        args.add(pathArgument(second));
        ProcessResult result = runner.run(request(args, timeout, Optional.empty(), null));
        if (result.timedOut() || (result.exitCode() != 0 && result.exitCode() != COMPARE_DIFFERENT)) {
            throw new QemuImgException(result);
        }
        return result.exitCode() == 0 ? QemuImgComparison.IDENTICAL : QemuImgComparison.DIFFERENT;
    }

    /**
     * {@code qemu-img check -f <format> --output=json <image>}, read-only. Exit codes 0, 2, 3 and
     * 63 are results, not failures.
     *
     * @param image the image file to check
     * @param format the image's format, passed as {@code -f}
     * @return the outcome with the counts qemu-img reports; for exit code 63 (the format cannot
     *     be checked) all counts are 0 and no JSON is read
     * @throws QemuImgException on any other exit code (1: the check could not complete) or a timeout
     * @throws QemuImgInfoParseException if the JSON answer is malformed
     */
    public QemuImgCheckResult check(Path image, DiskFormat format) {
        List<String> args = List.of("check", "-f", format.qemuName(), "--output=json", pathArgument(image));
        ProcessResult result = runner.run(request(args, timeout, Optional.empty(), null));
        if (result.timedOut() || !CHECK_RESULT_CODES.contains(result.exitCode())) {
            throw new QemuImgException(result);
        }
        QemuImgCheckResult.Outcome outcome = java.util.Arrays.stream(QemuImgCheckResult.Outcome.values())
                .filter(o -> o.exitCode() == result.exitCode()).findFirst().orElseThrow();
        if (outcome == QemuImgCheckResult.Outcome.NOT_SUPPORTED) {
            return new QemuImgCheckResult(result.exitCode(), outcome, 0, 0, 0, java.util.OptionalLong.empty(),
                    result.stderrTail());
        }
        JsonNode json = QemuImgInfoReader.parseJson(result.stdout(), "qemu-img check");
        return new QemuImgCheckResult(result.exitCode(), outcome,
                QemuImgInfoReader.optionalCount(json, "corruptions", "$").orElse(0),
                QemuImgInfoReader.optionalCount(json, "leaks", "$").orElse(0),
                QemuImgInfoReader.optionalCount(json, "check-errors", "$").orElse(0),
                QemuImgInfoReader.optionalCount(json, "image-end-offset", "$"),
                result.stderrTail());
    }

    /**
     * {@code qemu-img commit -f <format> <image>}: writes the image's data into its backing file.
     *
     * <p><strong>Low-level layer: trusts its input.</strong> qemu-img opens the image as it is,
     * and writes into the backing file it names. An image from an untrusted source must be accepted by
     * the validator first and reach this call only through the validation module's
     * {@code ValidatedImage}.
     *
     * @param image the overlay image whose data is written into its backing file
     * @param format the overlay's format, passed as {@code -f}
     * @throws QemuImgException if qemu-img fails
     */
    public void commit(Path image, DiskFormat format) {
        run(List.of("commit", "-f", format.qemuName(), pathArgument(image)), timeout, Optional.empty(), null);
    }

    /**
     * {@code qemu-img rebase -f <format> [-u] -b <backing> -F <backingFormat> <image>}.
     * Without {@code -u} qemu compares the old and the new backing chain and copies into the
     * image every cluster where they differ, so the image's content stays the same.
     *
     * <p><strong>Low-level layer: trusts its input.</strong> qemu-img opens the image as it is,
     * its old backing chain and the new backing file. An image from an untrusted source must be accepted by
     * the validator first and reach this call only through the validation module's
     * {@code ValidatedImage}.
     *
     * @param image the image whose backing file is replaced
     * @param format the image's format, passed as {@code -f}
     * @param newBackingFile the new backing file as it should be written into the image
     * @param backingFormat the new backing file's format, passed as {@code -F} and recorded in
     *     the image
     * @param unsafe {@code -u}: only rewrite the header, without comparing data (the new backing
     *     file must have the same content as the old)
     * @throws QemuImgException if qemu-img fails
     */
    public void rebase(Path image, DiskFormat format, String newBackingFile, DiskFormat backingFormat, boolean unsafe) {
        List<String> args = new ArrayList<>(List.of("rebase", "-f", format.qemuName()));
        if (unsafe) {
            args.add("-u");
        }
        args.addAll(List.of("-b", newBackingFile, "-F", backingFormat.qemuName(), pathArgument(image)));
        run(args, timeout, Optional.empty(), null);
    }

    /**
     * {@code qemu-img rebase -f <format> -b "" <image>}: copies everything the image reads from
     * its backing chain into it and drops the backing file reference.
     *
     * <p><strong>Low-level layer: trusts its input.</strong> qemu-img opens the image as it is,
     * and reads its whole backing chain. An image from an untrusted source must be accepted by
     * the validator first and reach this call only through the validation module's
     * {@code ValidatedImage}.
     *
     * @param image the image to make independent of its backing chain
     * @param format the image's format, passed as {@code -f}
     * @throws QemuImgException if qemu-img fails
     */
    public void removeBacking(Path image, DiskFormat format) {
        run(List.of("rebase", "-f", format.qemuName(), "-b", "", pathArgument(image)), timeout, Optional.empty(), null);
    }

    // qemu crypto/pbkdf.c: the benchmark that sizes PBKDF iterations gives up when it measured
    // zero milliseconds of thread CPU time.
    /**
     * What qemu-img prints when the PBKDF benchmark that sizes a new LUKS key slot measured no
     * CPU time (a known flake on fast machines); a create or convert that writes a LUKS key
     * repeats the command when its error contains this text.
     */
    public static final String PBKDF_BENCHMARK_FLAKE = "Unable to get accurate CPU usage";
    /**
     * How often a command that writes a LUKS key is run at most while the PBKDF benchmark flakes.
     * Its first round of iterations takes a couple of milliseconds with SHA extensions; where the
     * kernel accounts CPU time by ticks, that round is charged only now and then, so ten attempts
     * in a row failed on a loaded 2-core machine. A failed attempt costs milliseconds (qemu-img
     * stops before writing anything).
     */
    public static final int PBKDF_BENCHMARK_ATTEMPTS = 50;

    private ProcessResult run(List<String> args, Duration limit, Optional<ProcessLimits> limits,
            Consumer<String> lines) {
        ProcessResult result = runner.run(request(args, limit, limits, lines));
        if (!result.succeeded()) {
            throw new QemuImgException(result);
        }
        return result;
    }

    private ProcessRequest request(List<String> args, Duration limit, Optional<ProcessLimits> limits,
            Consumer<String> lines) {
        return builder(List.of(), args, limit, limits, lines).build();
    }

    private ProcessRequest.Builder builder(List<String> launcher, List<String> args, Duration limit,
            Optional<ProcessLimits> limits, Consumer<String> lines) {
        List<String> command = new ArrayList<>(launcher);
        command.add(binary.toString());
        command.addAll(args);
        ProcessRequest.Builder request = ProcessRequest.builder(command)
                .timeout(limit)
                // Output beyond the JSON cap marks the result truncated, so an oversized answer is refused.
                .maxStdout(QemuImgInfo.MAX_JSON_CHARS)
                // Snapshot dates in human-readable output are then UTC.
                .environment("TZ", "UTC");
        limits.ifPresent(request::limits);
        if (lines != null) {
            request.onStdoutLine(lines);
        }
        return request;
    }

    /**
     * The command-line form of an image path. qemu reads {@code proto:...} (and
     * {@code json:{...}}) as a protocol and a leading {@code -} as an option, so such relative
     * paths get a {@code ./} prefix, which makes them plain files again.
     */
    static String pathArgument(Path path) {
        String text = path.toString();
        if (text.isEmpty()) {
            throw new IllegalArgumentException("empty path");
        }
        if (!text.startsWith("/") && (text.startsWith("-") || text.indexOf(':') >= 0)) {
            return "./" + text;
        }
        return text;
    }

    /**
     * The {@code --image-opts} text that opens an encrypted image: the format's driver (never
     * probed), its key option naming the secret object, and the protocol pinned to a plain file
     * so that a file name such as {@code nbd://...} cannot select another protocol.
     */
    static String encryptedImageOpts(Path image, DiskFormat format, String secretId) {
        requireEncryptableFormat(format);
        String keyOption = format == DiskFormat.LUKS ? "key-secret" : "encrypt.key-secret";
        return "driver=" + format.qemuName() + "," + keyOption + "=" + escapeOptionValue(secretId)
                + ",file.driver=file,file.filename=" + escapeOptionValue(image.toString());
    }

    static void requireEncryptableFormat(DiskFormat format) {
        if (format != DiskFormat.LUKS && format != DiskFormat.QCOW2) {
            throw new IllegalArgumentException("only luks and qcow2 images are opened with a key, not "
                    + format.qemuName());
        }
    }

    /** Appends {@code -o k=v,...} with commas in values doubled, as qemu's option syntax needs. */
    static void addOptions(List<String> args, Map<String, String> options) {
        if (options.isEmpty()) {
            return;
        }
        StringBuilder joined = new StringBuilder();
        options.forEach((key, value) -> {
            if (joined.length() > 0) {
                joined.append(',');
            }
            joined.append(key).append('=').append(escapeOptionValue(value));
        });
        args.add("-o");
        args.add(joined.toString());
    }

    static String escapeOptionValue(String value) {
        return value.replace(",", ",,");
    }

    static String requireOptionKey(String key) {
        if (key == null || !OPTION_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("bad qemu-img option name: " + key);
        }
        return key;
    }

    private static Duration positive(Duration duration) {
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + duration);
        }
        return duration;
    }
}
