package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.ImageGate;
import dev.diskimage.core.QemuImg;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The validator as callers use it: real images from qemu-img, policies, declared formats, bad files. */
class ImageValidatorTest {
    @TempDir
    static Path dir;

    private static Path qcow2;
    private static Path backed;
    private static Path flatVmdk;
    private static Path streamVmdk;
    private static Path raw;
    private static List<Path> everyFormat;

    private final ImageValidator defaults = ImageValidator.of(ImagePolicy.defaults());

    @BeforeAll
    static void images() throws Exception {
        qcow2 = InspectorHarness.qemuImg(dir, "disk.qcow2", "create", "-q", "-f", "qcow2", "{}", "64M");
        backed = InspectorHarness.qemuImg(dir, "backed.qcow2", "create", "-q", "-f", "qcow2", "-b",
                qcow2.toString(), "-F", "qcow2", "{}");
        flatVmdk = InspectorHarness.qemuImg(dir, "flat.vmdk", "create", "-q", "-f", "vmdk", "-o",
                "subformat=monolithicFlat", "{}", "1M");
        raw = dir.resolve("disk.raw");
        Files.write(raw, new byte[1 << 20]);
        streamVmdk = InspectorHarness.qemuImg(dir, "stream.vmdk", "convert", "-q", "-f", "raw", "-O", "vmdk", "-o",
                "subformat=streamOptimized", raw.toString(), "{}");
        everyFormat = List.of(qcow2, backed, flatVmdk, streamVmdk, raw,
                InspectorHarness.qemuImg(dir, "sparse.vmdk", "create", "-q", "-f", "vmdk", "{}", "64M"),
                InspectorHarness.qemuImg(dir, "fixed.vhd", "create", "-q", "-f", "vpc", "-o", "subformat=fixed", "{}",
                        "8M"),
                InspectorHarness.qemuImg(dir, "dynamic.vhd", "create", "-q", "-f", "vpc", "{}", "1G"),
                InspectorHarness.qemuImg(dir, "disk.vhdx", "create", "-q", "-f", "vhdx", "{}", "1G"),
                InspectorHarness.qemuImg(dir, "disk.vdi", "create", "-q", "-f", "vdi", "{}", "1G"),
                InspectorHarness.qemuImg(dir, "disk.qed", "create", "-q", "-f", "qed", "{}", "1G"),
                InspectorHarness.qemuImg(dir, "disk.ploop", "create", "-q", "-f", "parallels", "{}", "1G"),
                InspectorHarness.qemuImg(dir, "disk.luks", "create", "-q", "-f", "luks", "--object",
                        "secret,id=s,data=pw", "-o", "key-secret=s,iter-time=10", "{}", "4M"));
    }

    private static List<FindingCode> rejections(ValidationReport report) {
        return report.rejections().stream().map(Finding::code).toList();
    }

    @Test
    void acceptsQcow2DeclaredInEitherDialect() {
        assertThat(defaults.validate(qcow2, DiskFormat.fromName("qcow2")).accepted()).isTrue();
        ValidationReport report = defaults.validate(qcow2);
        assertThat(report.detectedFormat()).contains(DiskFormat.QCOW2);
        assertThat(report.variant()).contains("v3");
        assertThat(report.virtualSize()).hasValue(64L << 20);
        assertThat(report.bytesRead()).isLessThanOrEqualTo(ImagePolicy.DEFAULT_READ_BUDGET);
    }

    @Test
    void rejectsADeclaredFormatTheBytesContradict() {
        ValidationReport report = defaults.validate(qcow2, DiskFormat.RAW);

        assertThat(rejections(report)).containsExactly(FindingCode.FORMAT_MISMATCH);
        assertThat(report.rejections().get(0).message()).contains("declared as raw", "qcow2");
    }

    @Test
    void backingFileRejectedByDefaultAndReportedWhenAllowed() {
        ValidationReport refused = defaults.validate(backed, DiskFormat.QCOW2);
        ValidationReport allowed = ImageValidator.of(ImagePolicy.defaults().withAllowBackingFiles(true))
                .validate(backed, DiskFormat.QCOW2);

        assertThat(rejections(refused)).containsExactly(FindingCode.QCOW2_BACKING_FILE);
        assertThat(refused.rejections().get(0).message()).contains(qcow2.toString());
        assertThat(allowed.accepted()).isTrue();
        assertThat(allowed.references()).extracting(ExternalReference::target).containsExactly(qcow2.toString());
        assertThat(allowed.findings()).extracting(Finding::code).contains(FindingCode.QCOW2_BACKING_FILE);
    }

    @Test
    void foreignVmdkExtentsAreRefusedEvenWhenTheTypeIsAllowed() {
        ImageValidator lenient = ImageValidator.of(ImagePolicy.defaults()
                .withVmdkAllowedTypes(Set.of("monolithicFlat")).withAllowBackingFiles(true));

        assertThat(rejections(lenient.validate(flatVmdk, DiskFormat.VMDK)))
                .containsExactly(FindingCode.VMDK_EXTERNAL_EXTENT);
        assertThat(rejections(defaults.validate(flatVmdk, DiskFormat.VMDK)))
                .contains(FindingCode.VMDK_CREATE_TYPE_NOT_ALLOWED, FindingCode.VMDK_EXTERNAL_EXTENT);
    }

    @Test
    void vmdkAllowlistIsApplied() {
        ImageValidator sparseOnly = ImageValidator.of(ImagePolicy.defaults()
                .withVmdkAllowedTypes(Set.of("monolithicSparse")));

        assertThat(defaults.validate(streamVmdk, DiskFormat.VMDK).accepted()).isTrue();
        assertThat(rejections(sparseOnly.validate(streamVmdk, DiskFormat.VMDK)))
                .containsExactly(FindingCode.VMDK_CREATE_TYPE_NOT_ALLOWED);
    }

    @Test
    void allowedFormatsAndVirtualSizeCeilingAreApplied() {
        ImageValidator rawOnly = ImageValidator.of(ImagePolicy.defaults().withAllowedFormats(EnumSet.of(DiskFormat.RAW)));
        ImageValidator small = ImageValidator.of(ImagePolicy.defaults().withMaxVirtualSize(1L << 20));

        assertThat(rejections(rawOnly.validate(qcow2))).containsExactly(FindingCode.FORMAT_NOT_ALLOWED);
        assertThat(rejections(small.validate(qcow2))).containsExactly(FindingCode.VIRTUAL_SIZE_TOO_BIG);
        assertThat(small.validate(raw).accepted()).isTrue();
    }

    @Test
    void asAGateTheValidatorAdmitsWithTheDetectedFormatAndRefusesWhatCheckRefuses() {
        ImageGate gate = defaults;
        assertThat(gate.admit(qcow2, Optional.empty())).isEqualTo(DiskFormat.QCOW2);
        assertThat(gate.admit(raw, Optional.of(DiskFormat.RAW))).isEqualTo(DiskFormat.RAW);
        assertThatThrownBy(() -> gate.admit(qcow2, Optional.of(DiskFormat.RAW)))
                .isInstanceOf(ImageUnacceptableException.class).hasMessageContaining(qcow2.toString());
        assertThatThrownBy(() -> gate.admit(backed, Optional.empty()))
                .isInstanceOf(ImageUnacceptableException.class);
    }

    /** {@code image}'s bytes followed by the footer of a fixed VHD: what a reused volume holds. */
    private static Path withStaleVhdFooter(Path image, String name) throws Exception {
        Path vhd = InspectorHarness.qemuImg(dir, name + ".old.vhd", "create", "-q", "-f", "vpc", "-o",
                "subformat=fixed", "{}", "1M");
        byte[] old = Files.readAllBytes(vhd);
        Path reused = dir.resolve(name);
        byte[] bytes = Files.readAllBytes(image);
        byte[] device = new byte[bytes.length + (1 << 20)];
        System.arraycopy(bytes, 0, device, 0, bytes.length);
        System.arraycopy(old, old.length - 512, device, device.length - 512, 512);
        Files.write(reused, device);
        return reused;
    }

    @Test
    void aPrefixIsValidatedAsTheWholeImageAndStaleBytesPastItAreNotRead() throws Exception {
        Path rawOnReused = withStaleVhdFooter(raw, "reused-raw");
        Path qcow2OnReused = withStaleVhdFooter(qcow2, "reused-qcow2");
        long rawLength = Files.size(raw);

        // The whole target looks like a VHD: a raw image would be refused as one.
        assertThat(rejections(defaults.validate(rawOnReused, DiskFormat.RAW))).contains(FindingCode.FORMAT_MISMATCH);
        ValidationReport prefix = defaults.validatePrefix(rawOnReused, DiskFormat.RAW, rawLength);
        assertThat(prefix.accepted()).isTrue();
        assertThat(prefix.virtualSize()).hasValue(rawLength);
        assertThat(prefix.image()).isEqualTo(rawOnReused.toString());
        assertThat(defaults.validatePrefix(qcow2OnReused, DiskFormat.QCOW2, Files.size(qcow2)).accepted()).isTrue();
    }

    @Test
    void aPrefixIsStillRefusedForWhatItIs() throws Exception {
        // The prefix is checked like any image: a qcow2 header where raw was written is refused,
        // and so are a length past the end, a negative length and what is not a file or device.
        assertThat(rejections(defaults.validatePrefix(qcow2, DiskFormat.RAW, Files.size(qcow2))))
                .contains(FindingCode.FORMAT_MISMATCH);
        assertThat(rejections(defaults.validatePrefix(raw, DiskFormat.RAW, Files.size(raw) + 1)))
                .containsExactly(FindingCode.TRUNCATED);
        assertThat(defaults.validatePrefix(raw, DiskFormat.RAW, Files.size(raw) + 1).findings().get(0).message())
                .contains(raw.toString(), "fewer than the " + (Files.size(raw) + 1));
        assertThat(rejections(defaults.validatePrefix(dir, DiskFormat.RAW, 0)))
                .containsExactly(FindingCode.NOT_A_REGULAR_FILE);
        assertThat(rejections(defaults.validatePrefix(Path.of("/dev/zero"), DiskFormat.RAW, 0)))
                .containsExactly(FindingCode.NOT_A_REGULAR_FILE);
        assertThat(rejections(defaults.validatePrefix(dir.resolve("missing"), DiskFormat.RAW, 0)))
                .containsExactly(FindingCode.UNREADABLE);
        assertThatThrownBy(() -> defaults.validatePrefix(raw, DiskFormat.RAW, -1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void checkThrowsWithEveryReason() {
        assertThatThrownBy(() -> defaults.check(backed, DiskFormat.RAW))
                .isInstanceOfSatisfying(ImageUnacceptableException.class, e -> {
                    assertThat(e.image()).isEqualTo(backed.toString());
                    assertThat(e.findings()).extracting(Finding::code)
                            .contains(FindingCode.FORMAT_MISMATCH, FindingCode.QCOW2_BACKING_FILE);
                    assertThat(e.getMessage()).contains(backed.toString(), "FORMAT_MISMATCH");
                });
        assertThat(defaults.check(qcow2, DiskFormat.QCOW2).report().accepted()).isTrue();
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void refusesSpecialFilesWithoutOpeningThem() throws Exception {
        Path fifo = dir.resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(mkfifo.waitFor()).isZero();

        assertThat(rejections(defaults.validate(fifo))).containsExactly(FindingCode.NOT_A_REGULAR_FILE);
        assertThat(rejections(defaults.validate(Path.of("/dev/zero")))).containsExactly(FindingCode.NOT_A_REGULAR_FILE);
        assertThat(rejections(defaults.validate(dir))).containsExactly(FindingCode.NOT_A_REGULAR_FILE);
        assertThat(defaults.validate(dir).rejections().get(0).message()).isEqualTo(dir + ": is a directory");
        assertThat(defaults.validate(fifo).rejections().get(0).message())
                .isEqualTo(fifo + ": is not a regular file (device, fifo or socket)");
        assertThat(defaults.validate(fifo).uninspectable()).isTrue();
    }

    @Test
    void anEmptyFileIsRawOfSizeZeroWithAWarningUnlessThePolicySetsAMinimum() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty"));

        ValidationReport report = defaults.validate(empty);
        ValidationReport declaredRaw = defaults.validate(empty, DiskFormat.RAW);
        ValidationReport withMinimum = ImageValidator.of(ImagePolicy.defaults().withMinVirtualSize(1)).validate(empty);
        ValidationReport streamed = defaults.inspecting(java.io.InputStream.nullInputStream(), "empty")
                .drainAndReport();

        assertThat(report.accepted()).isTrue();
        assertThat(report.detectedFormat()).contains(DiskFormat.RAW);
        assertThat(report.virtualSize()).hasValue(0);
        assertThat(report.findings()).extracting(Finding::code).containsExactly(FindingCode.EMPTY_FILE);
        assertThat(declaredRaw.accepted()).isTrue();
        assertThat(rejections(defaults.validate(empty, DiskFormat.QCOW2))).containsExactly(FindingCode.FORMAT_MISMATCH);
        assertThat(rejections(withMinimum)).containsExactly(FindingCode.VIRTUAL_SIZE_TOO_SMALL);
        assertThat(streamed.accepted()).isTrue();
        assertThat(streamed.findings()).extracting(Finding::code).containsExactly(FindingCode.EMPTY_FILE);
    }

    @Test
    void aMissingFileCannotBeInspectedAndSaysSo() {
        ValidationReport report = defaults.validate(dir.resolve("missing"));

        assertThat(rejections(report)).containsExactly(FindingCode.UNREADABLE);
        assertThat(report.uninspectable()).isTrue();
        assertThat(report.rejections().get(0).message()).endsWith("missing: no such file");
        assertThat(defaults.validate(raw).uninspectable()).isFalse();
        assertThat(defaults.validate(flatVmdk).uninspectable()).isFalse();
    }

    @Test
    void aQemuImgThatCannotBeStartedIsASetUpErrorNotAVerdict() {
        ImageValidator crossChecking = ImageValidator.of(ImagePolicy.defaults().withQemuCrossCheck(true),
                QemuImg.at(dir.resolve("no-such-qemu-img")));

        assertThatThrownBy(() -> crossChecking.validate(qcow2, DiskFormat.QCOW2))
                .isInstanceOf(dev.diskimage.core.ProgramUnavailableException.class)
                .hasMessageContaining("no-such-qemu-img");
    }

    @Test
    void randomBytesBehindAQcow2MagicAreRejectedNotCalledRaw() throws IOException {
        byte[] junk = new byte[64 * 1024];
        new java.util.Random(42).nextBytes(junk);
        System.arraycopy(new byte[] {'Q', 'F', 'I', (byte) 0xfb}, 0, junk, 0, 4);
        Path file = Files.write(dir.resolve("junk.qcow2"), junk);

        ValidationReport report = defaults.validate(file);

        assertThat(report.accepted()).isFalse();
        assertThat(report.detectedFormat()).isEmpty();
        assertThat(report.virtualSize()).isEmpty();
        assertThat(report.rejections().get(0).message()).startsWith("qcow2: ");
    }

    @Test
    void crossCheckAgreesWithRealQemuImg() {
        ImageValidator crossChecking = ImageValidator.of(ImagePolicy.defaults().withQemuCrossCheck(true));

        assertThat(crossChecking.validate(qcow2, DiskFormat.QCOW2).accepted()).isTrue();
        assertThat(crossChecking.validate(streamVmdk, DiskFormat.VMDK).accepted()).isTrue();
        assertThat(crossChecking.validate(raw, DiskFormat.RAW).accepted()).isTrue();
    }

    @Test
    void crossCheckRejectsWhenQemuImgSeesSomethingElse() throws IOException {
        Path lying = fakeQemuImg("lying-qemu-img",
                "echo '{\"filename\": \"x\", \"format\": \"qcow2\", \"virtual-size\": 1, \"backing-filename\": \"/etc/shadow\"}'");
        ImageValidator crossChecking = ImageValidator.of(ImagePolicy.defaults().withQemuCrossCheck(true),
                QemuImg.at(lying));

        ValidationReport report = crossChecking.validate(qcow2, DiskFormat.QCOW2);

        assertThat(rejections(report)).containsOnly(FindingCode.QEMU_DISAGREES).hasSize(2);
        assertThat(report.rejections()).extracting(Finding::message)
                .anyMatch(m -> m.contains("virtual size 1"))
                .anyMatch(m -> m.contains("/etc/shadow"));
    }

    @Test
    void crossCheckRejectsWhenQemuImgFails() throws IOException {
        Path failing = fakeQemuImg("failing-qemu-img", "echo 'qemu-img: Could not open: boom' >&2; exit 1");
        ImageValidator crossChecking = ImageValidator.of(ImagePolicy.defaults().withQemuCrossCheck(true),
                QemuImg.at(failing));

        ValidationReport report = crossChecking.validate(qcow2, DiskFormat.QCOW2);

        assertThat(rejections(report)).containsExactly(FindingCode.QEMU_FAILED);
        assertThat(report.rejections().get(0).message()).contains("boom");
    }

    @Test
    void crossCheckNeverRunsOnRejectedImages() throws IOException {
        Path marker = dir.resolve("ran");
        Path spy = fakeQemuImg("spy-qemu-img", "touch '" + marker + "'; exit 1");
        ImageValidator crossChecking = ImageValidator.of(ImagePolicy.defaults().withQemuCrossCheck(true),
                QemuImg.at(spy));

        assertThat(crossChecking.validate(backed, DiskFormat.QCOW2).accepted()).isFalse();
        assertThat(marker).doesNotExist();
    }

    @Test
    void streamingGivesTheSameVerdictAsTheFileForEveryFormat() throws IOException {
        for (Path image : everyFormat) {
            ValidationReport fromFile = defaults.validate(image);
            ValidationReport fromStream;
            try (InputStream in = defaults.inspecting(Files.newInputStream(image), image.toString())) {
                fromStream = ((InspectingInputStream) in).drainAndReport();
            }
            assertThat(fromStream.verdict()).as(image.toString()).isEqualTo(fromFile.verdict());
            assertThat(fromStream.detectedFormat()).as(image.toString()).isEqualTo(fromFile.detectedFormat());
            assertThat(fromStream.virtualSize()).as(image.toString()).isEqualTo(fromFile.virtualSize());
            assertThat(rejections(fromStream)).as(image.toString()).isEqualTo(rejections(fromFile));
            boolean hostile = image.equals(backed) || image.equals(flatVmdk);
            assertThat(fromStream.accepted()).as(image + ": " + fromStream.findings()).isEqualTo(!hostile);
        }
    }

    /** A stand-in qemu-img that answers --version like 7.2 and runs {@code body} for every other verb. */
    private static Path fakeQemuImg(String name, String body) throws IOException {
        Path script = dir.resolve(name);
        Files.writeString(script, "#!/bin/sh\n"
                + "if [ \"$1\" = --version ]; then echo 'qemu-img version 7.2.0'; exit 0; fi\n" + body + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }
}
