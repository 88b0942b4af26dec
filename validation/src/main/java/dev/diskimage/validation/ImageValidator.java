package dev.diskimage.validation;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.IoErrorText;
import dev.diskimage.core.QemuImg;
import java.io.IOException;
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
public final class ImageValidator {
    private static final Logger LOG = LoggerFactory.getLogger(ImageValidator.class);

    private final ImagePolicy policy;
    private final FormatDetector detector;
    private final PolicyCheck policyCheck;
    private final Supplier<QemuImg> qemu;

    ImageValidator(ImagePolicy policy, List<FormatInspector> inspectors, Supplier<QemuImg> qemu) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.detector = new FormatDetector(inspectors);
        this.policyCheck = new PolicyCheck(policy);
        this.qemu = qemu;
    }

    ImageValidator(ImagePolicy policy, List<FormatInspector> inspectors) {
        this(policy, inspectors, new SystemQemuImg());
    }

    /** Finds the system qemu-img once, on first need, and shares it between threads. */
    private static final class SystemQemuImg implements Supplier<QemuImg> {
        private QemuImg qemu;

        @Override
        public synchronized QemuImg get() {
            if (qemu == null) {
                qemu = QemuImg.system();
            }
            return qemu;
        }
    }

    /**
     * A validator applying {@code policy}. When the policy asks for a qemu-img cross-check, the
     * {@code qemu-img} on the PATH is used (looked up on first need).
     */
    public static ImageValidator of(ImagePolicy policy) {
        return new ImageValidator(policy, Inspectors.all());
    }

    /** A validator applying {@code policy} that cross-checks, when the policy asks, with {@code qemu}. */
    public static ImageValidator of(ImagePolicy policy, QemuImg qemu) {
        Objects.requireNonNull(qemu, "qemu");
        return new ImageValidator(policy, Inspectors.all(), () -> qemu);
    }

    /** The policy this validator applies. */
    public ImagePolicy policy() {
        return policy;
    }

    /** Validates {@code image} without a declared format: whatever it is must be acceptable. */
    public ValidationReport validate(Path image) {
        return validate(image, null);
    }

    /**
     * Validates {@code image}, which the caller declares to be {@code declared} (may be null when
     * nothing is declared). Never throws for a bad image: every problem becomes a finding.
     *
     * @throws dev.diskimage.core.ProgramUnavailableException only when the policy asks for a
     *         qemu-img cross-check and qemu-img (or prlimit) cannot be found or started: a set-up
     *         error, not a verdict on the image
     */
    public ValidationReport validate(Path image, DiskFormat declared) {
        Optional<DiskFormat> claim = Optional.ofNullable(declared);
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
            return policy.qemuCrossCheck() && report.accepted() ? crossChecked(image, report) : report;
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
     * Like {@link #validate(Path, DiskFormat)}, but throws when the image is refused.
     *
     * @return the report of the accepted image (it may carry warnings)
     * @throws ImageUnacceptableException naming the image and every rejecting finding
     */
    public ValidationReport check(Path image, DiskFormat declared) {
        ValidationReport report = validate(image, declared);
        if (!report.accepted()) {
            throw new ImageUnacceptableException(report.image(), report.rejections());
        }
        return report;
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
     * Returns a stream that validates {@code in} as it passes; the verdict is ready at its end.
     *
     * @param name     how the report names the image
     * @param declared the claimed format, or null
     */
    public InspectingInputStream inspecting(java.io.InputStream in, String name, DiskFormat declared) {
        return new InspectingInputStream(in, this, name, declared);
    }

    /** Runs the inspectors only so that a stream learns which regions they will need. */
    void discover(ImageBytes bytes) {
        detector.detect(bytes);
    }

    private static ValidationReport unreadable(String name, Optional<DiskFormat> declared, FindingCode code,
            String message) {
        List<Finding> findings = List.of(Finding.reject(code, Finding.NO_OFFSET, name + ": " + message));
        return new ValidationReport(name, Verdict.REJECT, declared, Optional.empty(), Optional.empty(),
                OptionalLong.empty(), findings, Map.of(), 0, List.of());
    }

    static Verdict verdictOf(List<Finding> findings) {
        return findings.stream().anyMatch(Finding::rejects) ? Verdict.REJECT : Verdict.ACCEPT;
    }
}
