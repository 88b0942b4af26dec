package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.QemuImg;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * qemu-img's second opinion on an image the inspectors accepted: every way it can disagree (format,
 * virtual size, backing file either way, data file) is a QEMU_DISAGREES rejection, and agreement
 * is silence. qemu-img is a script printing the JSON under test.
 */
class QemuCrossCheckTest {
    private static final OptionalLong MIB = OptionalLong.of(1 << 20);
    private static final ExternalReference BACKING = new ExternalReference(ExternalReference.Kind.BACKING,
            FindingCode.QCOW2_BACKING_FILE, "base.qcow2", 72);

    @TempDir
    Path dir;

    private List<Finding> check(String infoJson, DiskFormat detected, OptionalLong virtualSize,
            List<ExternalReference> references) throws IOException {
        Path qemuImg = dir.resolve("qemu-img");
        Files.writeString(qemuImg, "#!/bin/sh\n"
                + "if [ \"$1\" = --version ]; then echo 'qemu-img version 7.2.0'; exit 0; fi\n"
                + "cat <<'JSON'\n" + infoJson + "\nJSON\n");
        Files.setPosixFilePermissions(qemuImg, PosixFilePermissions.fromString("rwx------"));
        Path image = Files.write(dir.resolve("image"), new byte[512]);
        return new QemuCrossCheck(QemuImg.at(qemuImg).withoutInfoLimits()).check(image, detected, virtualSize,
                references);
    }

    private static String info(String format, long virtualSize, String extra) {
        return "{\"filename\": \"image\", \"format\": \"" + format + "\", \"virtual-size\": " + virtualSize + extra + "}";
    }

    @Test
    void agreementIsSilent() throws IOException {
        assertThat(check(info("qcow2", 1 << 20, ""), DiskFormat.QCOW2, MIB, List.of())).isEmpty();
    }

    @Test
    void anotherFormatIsADisagreement() throws IOException {
        List<Finding> findings = check(info("raw", 1 << 20, ""), DiskFormat.QCOW2, MIB, List.of());

        assertThat(findings).singleElement().satisfies(finding -> {
            assertThat(finding.code()).isEqualTo(FindingCode.QEMU_DISAGREES);
            assertThat(finding.message()).contains("format 'raw'").contains("qcow2");
        });
    }

    @Test
    void aFormatQemuNamesButThisProjectDoesNotKnowIsADisagreement() throws IOException {
        assertThat(check(info("bochs", 1 << 20, ""), DiskFormat.RAW, MIB, List.of()))
                .extracting(Finding::code).containsExactly(FindingCode.QEMU_DISAGREES);
    }

    @Test
    void theSameQemuDriverUnderAnotherNameAgrees() throws IOException {
        // Glance says vhd, qemu vpc: one driver.
        assertThat(check(info("vpc", 1 << 20, ""), DiskFormat.fromName("vhd"), MIB, List.of())).isEmpty();
    }

    @Test
    void anotherVirtualSizeIsADisagreementUnlessTheInspectorHasNone() throws IOException {
        assertThat(check(info("qcow2", (1 << 20) + 512, ""), DiskFormat.QCOW2, MIB, List.of()))
                .singleElement().extracting(Finding::message).asString()
                .contains("virtual size " + ((1 << 20) + 512)).contains(Long.toString(1 << 20));
        assertThat(check(info("qcow2", 12345, ""), DiskFormat.QCOW2, OptionalLong.empty(), List.of())).isEmpty();
    }

    @Test
    void aBackingFileOnlyQemuSeesIsADisagreement() throws IOException {
        List<Finding> findings = check(info("qcow2", 1 << 20, ", \"backing-filename\": \"/etc/shadow\""),
                DiskFormat.QCOW2, MIB, List.of());

        assertThat(findings).singleElement().extracting(Finding::message).asString().contains("/etc/shadow");
        assertThat(check(info("qcow2", 1 << 20, ", \"backing-filename\": \"base.qcow2\""), DiskFormat.QCOW2, MIB,
                List.of(BACKING))).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(names = {"QCOW2", "QED", "VMDK"})
    void aBackingFileOnlyTheInspectorSeesIsADisagreementWhereQemuReportsThem(DiskFormat format) throws IOException {
        assertThat(check(info(format.qemuName(), 1 << 20, ""), format, MIB, List.of(BACKING)))
                .singleElement().extracting(Finding::message).asString().contains("qemu-img does not report");
    }

    @ParameterizedTest
    @EnumSource(names = {"VPC", "VHDX", "VDI"})
    void aParentOnlyTheInspectorSeesIsNoDisagreementWhereQemuCannotOpenParents(DiskFormat format)
            throws IOException {
        // qemu's vpc, vhdx and vdi drivers do not open differencing parents, so they never report one.
        assertThat(check(info(format.qemuName(), 1 << 20, ""), format, MIB, List.of(BACKING))).isEmpty();
    }

    @Test
    void aDataFileOnlyQemuSeesIsADisagreement() throws IOException {
        String dataFile = ", \"format-specific\": {\"type\": \"qcow2\", \"data\": {\"compat\": \"1.1\", "
                + "\"data-file\": \"/dev/sda\"}}";

        assertThat(check(info("qcow2", 1 << 20, dataFile), DiskFormat.QCOW2, MIB, List.of()))
                .singleElement().extracting(Finding::message).asString().contains("data file '/dev/sda'");
        assertThat(check(info("qcow2", 1 << 20, dataFile), DiskFormat.QCOW2, MIB,
                List.of(new ExternalReference(ExternalReference.Kind.DATA_FILE, FindingCode.QCOW2_DATA_FILE,
                        "/dev/sda", 0)))).isEmpty();
        assertThat(check(info("qcow2", 1 << 20, ", \"format-specific\": {\"type\": \"qcow2\", \"data\": "
                + "{\"compat\": \"1.1\"}}"), DiskFormat.QCOW2, MIB, List.of())).isEmpty();
    }
}
