package dev.diskimage.validation;

import com.google.common.base.Suppliers;
import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageGate;
import dev.diskimage.core.IoErrorText;
import dev.diskimage.core.QemuImg;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether an image is safe to hand to qemu-img or a volume: it is what it claims to be,
 * it references nothing outside itself, and it is within policy. Every format inspector sees
 * the image (no first match), reading only headers and tables within a fixed budget.
 *
 * <p>Cinder's {@code check_image_format}, {@code check_vmdk_image} and
 * {@code check_qcow2_image} all map onto {@link #check}. Instances are immutable and
 * thread-safe; validate many images in parallel with one validator.
 */
public final class ImageValidator implements ImageGate {
    private static final Logger LOG = LoggerFactory.getLogger(ImageValidator.class);
    // stat(2): the file type bits of st_mode, and the block device type.
    private static final int S_IFMT = 0170000;
    private static final int S_IFBLK = 0060000;

    private final ImagePolicy policy;
    private final FormatDetector detector;
    private final PolicyCheck policyCheck;
    private final Supplier<QemuImg> qemu;
    private final List<FormatInspector> inspectors;

    ImageValidator(ImagePolicy policy, List<FormatInspector> inspectors, Supplier<QemuImg> qemu) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.inspectors = List.copyOf(inspectors);
        this.detector = new FormatDetector(inspectors);
        this.policyCheck = new PolicyCheck(policy);
        this.qemu = qemu;
    }

    ImageValidator(ImagePolicy policy, List<FormatInspector> inspectors) {
        // Finds the system qemu-img once, on first need, and shares it between threads.
        this(policy, inspectors, Suppliers.memoize(QemuImg::system));
    }

    /**
     * A validator applying {@code policy}. When the policy asks for a qemu-img cross-check, the
     * {@code qemu-img} on the PATH is used (looked up on first need).
     *
     * @param policy what to accept; not null
     * @return a validator running every format inspector under {@code policy}
     * @throws NullPointerException if {@code policy} is null
     */
    public static ImageValidator of(ImagePolicy policy) {
        return new ImageValidator(policy, Inspectors.all());
    }

    /**
     * A validator applying {@code policy} that cross-checks, when the policy asks, with {@code qemu}.
     *
     * @param policy what to accept; not null
     * @param qemu the qemu-img to cross-check with, used only when
     *     {@link ImagePolicy#qemuCrossCheck()} is on; not null
     * @return a validator running every format inspector under {@code policy}
     * @throws NullPointerException if {@code policy} or {@code qemu} is null
     */
    public static ImageValidator of(ImagePolicy policy, QemuImg qemu) {
        Objects.requireNonNull(qemu, "qemu");
        return new ImageValidator(policy, Inspectors.all(), () -> qemu);
    }

    /**
     * The policy this validator applies.
     *
     * @return the policy given to {@link #of(ImagePolicy)}
     */
    public ImagePolicy policy() {
        return policy;
    }

    /**
     * This validator with the qemu-img cross-check on, with the same qemu-img: for a file that
     * a stream validation already accepted and that qemu-img is about to open (a download
     * before its conversion), where the second opinion costs one {@code qemu-img info}.
     *
     * @return the validator; this one when the policy already asks for the cross-check
     */
    public ImageValidator withQemuCrossCheck() {
        return policy.qemuCrossCheck() ? this
                : new ImageValidator(policy.withQemuCrossCheck(true), inspectors, qemu);
    }

    /**
     * Validates {@code image} without a declared format: whatever it is must be acceptable.
     * Never throws for a bad image: every problem becomes a finding.
     *
     * @param image the file to inspect; links are followed, and a missing, unreadable or
     *     non-regular file is reported as a rejecting finding
     * @return the verdict with every finding; its {@code image} is {@code image.toString()}
     * @throws dev.diskimage.core.ProgramUnavailableException only when the policy asks for a
     *         qemu-img cross-check and qemu-img (or prlimit) cannot be found or started: a set-up
     *         error, not a verdict on the image
     */
    public ValidationReport validate(Path image) {
        return validateFile(image, Optional.empty()).report();
    }

    /**
     * Validates {@code image}, which the caller declares to be {@code declared}. Never throws for a
     * bad image: every problem becomes a finding.
     *
     * @param image the file to inspect; links are followed, and a missing, unreadable or
     *     non-regular file is reported as a rejecting finding
     * @param declared the format the caller claims the image has; a mismatch with what the bytes
     *     are is a rejecting finding
     * @return the verdict with every finding; its {@code image} is {@code image.toString()}
     * @throws NullPointerException if {@code declared} is null
     * @throws dev.diskimage.core.ProgramUnavailableException only when the policy asks for a
     *         qemu-img cross-check and qemu-img (or prlimit) cannot be found or started: a set-up
     *         error, not a verdict on the image
     */
    public ValidationReport validate(Path image, DiskFormat declared) {
        return validateFile(image, Optional.of(Objects.requireNonNull(declared, "declared"))).report();
    }

    /**
     * Validates the first {@code length} bytes of {@code image} as if they were the whole image,
     * declared to be {@code declared}. For a block device a conversion wrote in place: the new
     * image starts at the device's first byte, and past its end the device still holds whatever
     * an earlier image left there (an old VHD footer, a GPT backup header), which a check of the
     * whole device would read as a second format. The caller names the length it wrote.
     * Regular files are accepted too. qemu-img's cross-check is not run on a prefix (qemu-img
     * would see the whole device), whatever the policy says.
     *
     * @param image a regular file or a block device; links are followed, and anything else is
     *     reported as a rejecting finding
     * @param declared the format the caller claims the prefix has
     * @param length how many bytes from the start the image occupies; a device or file shorter
     *     than that is a rejecting finding
     * @return the verdict with every finding; its {@code image} is {@code image.toString()}
     * @throws IllegalArgumentException if {@code length} is negative
     */
    public ValidationReport validatePrefix(Path image, DiskFormat declared, long length) {
        Objects.requireNonNull(declared, "declared");
        if (length < 0) {
            throw new IllegalArgumentException("negative length: " + length);
        }
        Optional<DiskFormat> claim = Optional.of(declared);
        String name = image.toString();
        try {
            BasicFileAttributes attributes = Files.readAttributes(image, BasicFileAttributes.class);
            if (!attributes.isRegularFile() && !isBlockDevice(image)) {
                return unreadable(name, claim, FindingCode.NOT_A_REGULAR_FILE,
                        "is neither a regular file nor a block device").report();
            }
            try (SeekableByteChannel channel = Files.newByteChannel(image, StandardOpenOption.READ)) {
                long size = channel.size();
                if (size < length) {
                    return unreadable(name, claim, FindingCode.TRUNCATED, "holds " + size
                            + " bytes, fewer than the " + length + " the image was written as").report();
                }
                return validate(name, new FileImageBytes(channel, length, policy.readBudget()), claim);
            }
        } catch (IOException e) {
            return unreadable(name, claim, FindingCode.UNREADABLE, IoErrorText.describe(e)).report();
        }
    }

    private static boolean isBlockDevice(Path path) throws IOException {
        int mode = (Integer) Files.getAttribute(path, "unix:mode");
        return (mode & S_IFMT) == S_IFBLK;
    }

    /**
     * A report, and the identity of the file it is about as it was when the file was opened;
     * empty when the file could not be opened as a regular file.
     */
    private record FileValidation(ValidationReport report, Optional<FileIdentity> identity) {
    }

    private FileValidation validateFile(Path image, Optional<DiskFormat> claim) {
        String name = image.toString();
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(image, BasicFileAttributes.class);
        } catch (IOException e) {
            return unreadable(name, claim, FindingCode.UNREADABLE, IoErrorText.describe(e));
        }
        if (!attributes.isRegularFile()) {
            return unreadable(name, claim, FindingCode.NOT_A_REGULAR_FILE,
                    attributes.isDirectory() ? "is a directory" : "is not a regular file (device, fifo or socket)");
        }
        try (SeekableByteChannel channel = Files.newByteChannel(image, StandardOpenOption.READ)) {
            long size = channel.size();
            ValidationReport report = validate(name, new FileImageBytes(channel, size, policy.readBudget()), claim);
            return new FileValidation(policy.qemuCrossCheck() && report.accepted() ? crossChecked(image, report)
                    : report, Optional.of(FileIdentity.of(attributes)));
        } catch (IOException e) {
            return unreadable(name, claim, FindingCode.UNREADABLE, IoErrorText.describe(e));
        }
    }

    /** Adds qemu-img's second opinion to a report the inspectors accepted. */
    private ValidationReport crossChecked(Path image, ValidationReport report) {
        DiskFormat detected = report.detectedFormat().orElseThrow();
        List<ExternalReference> references = report.references();
        List<Finding> findings = new ArrayList<>(report.findings());
        findings.addAll(new QemuCrossCheck(qemu.get()).check(image, detected, report.virtualSize(), references));
        return new ValidationReport(report.image(), verdictOf(findings), report.declaredFormat(),
                report.detectedFormat(), report.variant(), report.virtualSize(), findings, report.details(),
                report.bytesRead(), references);
    }

    /**
     * Like {@link #validate(Path, DiskFormat)}, but throws when the image is refused, and returns
     * the accepted image in the form that flows handing it to qemu-img require.
     *
     * @param image the file to inspect; links are followed
     * @param declared the format the caller claims the image has; not null
     * @return the accepted image (its report may carry warnings), with a snapshot of the file's
     *         identity for {@link ValidatedImage#requireUnchanged()}
     * @throws ImageUnacceptableException naming the image and every rejecting finding
     * @throws ImageChangedException      when the file was modified or replaced while it was
     *                                    being validated
     * @throws dev.diskimage.core.ProgramUnavailableException as {@link #validate(Path, DiskFormat)}
     */
    public ValidatedImage check(Path image, DiskFormat declared) {
        return check(image, Optional.of(Objects.requireNonNull(declared, "declared")));
    }

    /**
     * Like {@link #validate(Path)}, but throws when the image is refused: whatever the image is
     * must be acceptable.
     *
     * @param image the file to inspect; links are followed
     * @return the accepted image, as {@link #check(Path, DiskFormat)}
     * @throws ImageUnacceptableException naming the image and every rejecting finding
     * @throws ImageChangedException      when the file was modified or replaced while it was
     *                                    being validated
     * @throws dev.diskimage.core.ProgramUnavailableException as {@link #validate(Path)}
     */
    public ValidatedImage check(Path image) {
        return check(image, Optional.empty());
    }

    /**
     * The validator as the gate of modules that may not depend on it (the catalog): the image
     * is {@linkplain #check(Path) checked}, against the declared format when there is one.
     *
     * @throws ImageUnacceptableException naming the image and every rejecting finding
     */
    @Override
    public DiskFormat admit(Path image, Optional<DiskFormat> declared) {
        return check(image, Objects.requireNonNull(declared, "declared")).format();
    }

    private ValidatedImage check(Path image, Optional<DiskFormat> declared) {
        FileValidation validation = validateFile(image, declared);
        ValidationReport report = validation.report();
        if (!report.accepted()) {
            throw new ImageUnacceptableException(report.image(), report.rejections());
        }
        // Accepted means the file was opened, so its identity was taken.
        ValidatedImage validated = new ValidatedImage(image, report, validation.identity().orElseThrow());
        // The identity was taken before the file was opened; a file swapped or modified during
        // inspection is not the file the report describes.
        return validated.requireUnchanged();
    }

    /** Validates bytes that are already open, from a file or a stream. */
    ValidationReport validate(String name, ImageBytes bytes, Optional<DiskFormat> declared) {
        Detection detection = detector.detect(bytes);
        Optional<Inspection> chosen = detection.chosen();
        OptionalLong virtualSize = chosen.map(Inspection::virtualSize)
                .orElse(detection.format().isPresent() ? OptionalLong.of(bytes.size()) : OptionalLong.empty());
        List<Finding> findings = new ArrayList<>(detection.findings());
        if (bytes.size() == 0) {
            // qemu reads a zero-length file as a valid raw image of size 0; only a policy minimum refuses it.
            findings.add(Finding.warn(FindingCode.EMPTY_FILE, Finding.NO_OFFSET, "the image is empty (0 bytes)"));
        }
        findings.addAll(policyCheck.check(detection, declared, virtualSize));
        ValidationReport report = new ValidationReport(name, verdictOf(findings), declared, detection.format(),
                chosen.flatMap(Inspection::variant), virtualSize, findings, detection.details(), bytes.bytesRead(),
                chosen.map(Inspection::references).orElse(List.of()));
        LOG.debug("{}: {} as {} after reading {} bytes", name, report.verdict(), report.detectedFormat(),
                report.bytesRead());
        return report;
    }

    /**
     * Returns a stream that validates {@code in} as it passes, without a declared format; the
     * verdict is ready at its end.
     *
     * @param in   the image bytes; closed when the returned stream is closed
     * @param name how the report names the image (a URL, an image id)
     * @return a stream passing {@code in}'s bytes through unchanged, whose
     *     {@link InspectingInputStream#report()} is available once it reached the end
     */
    public InspectingInputStream inspecting(InputStream in, String name) {
        return new InspectingInputStream(in, this, name, Optional.empty());
    }

    /**
     * Returns a stream that validates {@code in}, declared to be {@code declared}, as it passes;
     * the verdict is ready at its end.
     *
     * @param in       the image bytes; closed when the returned stream is closed
     * @param name     how the report names the image (a URL, an image id)
     * @param declared the format the image claims to be
     * @return a stream passing {@code in}'s bytes through unchanged, whose
     *     {@link InspectingInputStream#report()} is available once it reached the end
     * @throws NullPointerException if {@code declared} is null
     */
    public InspectingInputStream inspecting(InputStream in, String name, DiskFormat declared) {
        return new InspectingInputStream(in, this, name, Optional.of(Objects.requireNonNull(declared, "declared")));
    }

    /** Runs the inspectors only so that a stream learns which regions they will need. */
    void discover(ImageBytes bytes) {
        detector.detect(bytes);
    }

    private static FileValidation unreadable(String name, Optional<DiskFormat> declared, FindingCode code,
            String message) {
        List<Finding> findings = List.of(Finding.reject(code, Finding.NO_OFFSET, name + ": " + message));
        return new FileValidation(new ValidationReport(name, Verdict.REJECT, declared, Optional.empty(),
                Optional.empty(), OptionalLong.empty(), findings, Map.of(), 0, List.of()), Optional.empty());
    }

    static Verdict verdictOf(List<Finding> findings) {
        return findings.stream().anyMatch(Finding::rejects) ? Verdict.REJECT : Verdict.ACCEPT;
    }
}
