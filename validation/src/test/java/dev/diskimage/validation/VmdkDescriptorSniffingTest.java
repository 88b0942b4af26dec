package dev.diskimage.validation;

import static dev.diskimage.validation.InspectorHarness.inspect;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which text files without a binary magic the VMDK inspector takes for a descriptor: whatever
 * qemu's own vmdk probe would open as VMDK must not pass as raw, and nothing else is claimed.
 * The texts carry no createType, so only the signature or qemu's probe can make them VMDK.
 */
class VmdkDescriptorSniffingTest {
    private static final VmdkInspector INSPECTOR = new VmdkInspector();

    private static Inspection inspectText(String text) {
        return inspect(INSPECTOR, text.getBytes(StandardCharsets.ISO_8859_1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"version=1\n", "version=2\nRW 10 FLAT \"x\" 0\n", "version=3\r\n",
            "# comment\n#\nversion=1\n", "#\r\n   \nversion=2\n", "   \r\nversion=3\r\nRW 1 ZERO\n", " \n  \nversion=1\n"})
    void textQemusProbeCallsVmdkIsRefusedAsABrokenDescriptorNotPassedAsRaw(String text) {
        Inspection inspection = inspectText(text);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspection.findings()).extracting(Finding::code)
                .containsExactly(FindingCode.VMDK_MALFORMED_DESCRIPTOR);
    }

    @ParameterizedTest
    @ValueSource(strings = {"version=4\n", "version=0\n", "version=1", "version=1\r", "version=1\rx",
            "version=1x\n", "version=12\n", "vErsion=1\n", "  x\nversion=1\n", " \rx\nversion=1\n", "   ",
            "\nversion=1\n", "# only a comment", "version=\n\n", "#\n version=1\n"})
    void textQemusProbeDoesNotCallVmdkIsLeftAlone(String text) {
        assertThat(inspectText(text).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void qemuProbesOnlyTheFirst2048Bytes() {
        String comments = ("#" + "x".repeat(98) + "\n").repeat(30);
        String near = comments.substring(0, 2048 - 11) + "\nversion=1\n";
        String beyond = comments.substring(0, 2048 - 9) + "\nversion=1\n";

        assertThat(inspectText(near).level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(inspectText(beyond).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void textNamingACreateTypeIsADescriptorButBinaryDataIsNot() {
        String text = "createType=\"vmfs\"\nRW 10 VMFS \"disk-flat.vmdk\"\n";

        Inspection inspection = inspectText(text);
        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.variant()).hasValue("vmfs");
        assertThat(inspectText(text + "\0").level()).isEqualTo(MatchLevel.NONE);
        assertThat(inspectText("\0" + text).level()).isEqualTo(MatchLevel.NONE);
    }

    @Test
    void acceptsADescriptorFileOfExactlyTheSizeLimit() {
        byte[] text = new byte[VmdkDescriptorParser.MAX_DESCRIPTOR_BYTES];
        Arrays.fill(text, (byte) '\n');
        byte[] head = "# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\nRW 8 FLAT \"d-flat.vmdk\" 0\n"
                .getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, text, 0, head.length);

        Inspection inspection = inspect(INSPECTOR, text);

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.virtualSize()).hasValue(8L * 512);
        assertThat(inspection.details()).containsEntry("extents", 1L);
    }

    @Test
    void reportsTheChangeTrackingFileOfADescriptorFile() {
        String text = "# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\nchangeTrackPath=\"d-ctk.vmdk\"\n"
                + "RW 8 FLAT \"d-flat.vmdk\" 0\n";

        Inspection inspection = inspectText(text);

        assertThat(inspection.references()).extracting(ExternalReference::kind, ExternalReference::target)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(ExternalReference.Kind.EXTENT, "d-flat.vmdk"),
                        org.assertj.core.groups.Tuple.tuple(ExternalReference.Kind.DATA_FILE, "d-ctk.vmdk"));
    }

    @Test
    void rejectsExtentSizesThatAddUpBeyondAnyDisk() {
        long max = VmdkDescriptorParser.MAX_EXTENT_SECTORS;
        String two = "# Disk DescriptorFile\ncreateType=\"custom\"\nRW " + max + " FLAT \"a\" 0\nRW " + max
                + " FLAT \"b\" 0\n";
        StringBuilder many = new StringBuilder("# Disk DescriptorFile\ncreateType=\"custom\"\n");
        int overflowLine = -1;
        for (int i = 0; i < 520; i++) {
            if (i == 512) {
                overflowLine = many.length();
            }
            many.append("RW ").append(max).append(" ZERO\n");
        }

        Inspection sum = inspectText(two);
        Inspection overflow = inspectText(many.toString());

        assertThat(sum.level()).isEqualTo(MatchLevel.MAGIC_ONLY);
        assertThat(sum.findings()).extracting(Finding::code).containsExactly(FindingCode.VMDK_MALFORMED_DESCRIPTOR);
        assertThat(overflow.findings()).extracting(Finding::code, Finding::offset).containsExactly(
                org.assertj.core.groups.Tuple.tuple(FindingCode.VMDK_MALFORMED_DESCRIPTOR, (long) overflowLine));
    }
}
