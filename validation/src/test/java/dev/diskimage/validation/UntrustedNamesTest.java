package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.UntrustedText;
import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Names read from images (qcow2 and QED backing files, qcow2 data files and backing formats,
 * LUKS cipher names) are hostile: wherever they surface (reference targets, finding messages,
 * details) control characters come out escaped and long names capped.
 */
class UntrustedNamesTest {
    private static final String ESC = "base\u001b]0;owned\u0007\u001b[31m.img";
    private static final String ESC_ESCAPED = "base\\x1b]0;owned\\x07\\x1b[31m.img";
    private static final String NEWLINE = "first\nsecond\r.img";
    private static final String NEWLINE_ESCAPED = "first\\x0asecond\\x0d.img";
    private static final String NUL = "name\u0000hidden";
    private static final String NUL_ESCAPED = "name\\x00hidden";
    private static final List<String[]> HOSTILE = List.of(new String[] {ESC, ESC_ESCAPED},
            new String[] {NEWLINE, NEWLINE_ESCAPED}, new String[] {NUL, NUL_ESCAPED});

    @TempDir
    static Path dir;

    private static byte[] qcow2Backed;
    private static byte[] qcow2DataFile;
    private static byte[] qedBacked;
    private static byte[] luks1;

    private final ImageValidator validator = ImageValidator.of(ImagePolicy.defaults());
    private final ImageValidator allowingBacking = ImageValidator.of(ImagePolicy.defaults().withAllowBackingFiles(true));

    @BeforeAll
    static void images() throws Exception {
        qcow2Backed = Files.readAllBytes(InspectorHarness.qemuImg(dir, "b.qcow2", "create", "-q", "-f", "qcow2", "-u",
                "-b", "base.img", "-F", "raw", "{}", "1G"));
        qcow2DataFile = Files.readAllBytes(InspectorHarness.qemuImg(dir, "d.qcow2", "create", "-q", "-f", "qcow2",
                "-o", "data_file=" + dir.resolve("d.raw"), "{}", "1M"));
        qedBacked = Files.readAllBytes(InspectorHarness.qemuImg(dir, "b.qed", "create", "-q", "-f", "qed", "-u",
                "-b", "base.img", "-F", "raw", "{}", "1G"));
        luks1 = Files.readAllBytes(InspectorHarness.qemuImg(dir, "v1.luks", "create", "-q", "-f", "luks", "--object",
                "secret,id=s,data=pw", "-o", "key-secret=s,iter-time=10", "{}", "4M"));
    }

    private static ValidationReport validate(ImageValidator validator, byte[] image) {
        return validator.validate("bytes", new FileImageBytes(new OneBytePerReadChannel(image), image.length,
                ImagePolicy.DEFAULT_READ_BUDGET), Optional.empty());
    }

    /** Nothing a report carries holds a raw control character or exceeds its cap. */
    private static void assertClean(ValidationReport report) {
        for (Finding finding : report.findings()) {
            assertThat(finding.message()).doesNotContainPattern("\\p{Cntrl}").hasSizeLessThanOrEqualTo(
                    Finding.MAX_MESSAGE_CHARS + 64);
        }
        for (ExternalReference reference : report.references()) {
            assertThat(reference.target()).doesNotContainPattern("\\p{Cntrl}")
                    .hasSizeLessThanOrEqualTo(UntrustedText.MAX_NAME_CHARS + 64);
        }
        report.details().values().forEach(value -> assertThat(String.valueOf(value))
                .doesNotContainPattern("\\p{Cntrl}").hasSizeLessThanOrEqualTo(UntrustedText.MAX_NAME_CHARS + 64));
    }

    // ------------------------------------------------------------------ qcow2

    /** The backed qcow2 with its backing file name replaced by {@code name} at offset 0x800. */
    private static byte[] qcow2WithBackingName(byte[] name) {
        byte[] image = qcow2Backed.clone();
        ByteBuffer b = ByteBuffer.wrap(image);
        b.putLong(8, 0x800).putInt(16, name.length);
        Arrays.fill(image, 0x800, 0x800 + 2048, (byte) 0);
        System.arraycopy(name, 0, image, 0x800, name.length);
        return image;
    }

    @Test
    void qcow2BackingNamesAreEscapedInReferencesAndFindings() {
        for (String[] hostile : HOSTILE) {
            byte[] image = qcow2WithBackingName(hostile[0].getBytes(StandardCharsets.UTF_8));
            Inspection inspection = InspectorHarness.inspect(new Qcow2Inspector(), image);
            assertThat(inspection.references()).singleElement()
                    .satisfies(ref -> assertThat(ref.target()).isEqualTo(hostile[1]));

            ValidationReport refused = validate(validator, image);
            assertThat(refused.rejections()).anySatisfy(f -> {
                assertThat(f.code()).isEqualTo(FindingCode.QCOW2_BACKING_FILE);
                assertThat(f.message()).contains("'" + hostile[1] + "'");
            });
            assertClean(refused);
            ValidationReport allowed = validate(allowingBacking, image);
            assertThat(allowed.findings()).anySatisfy(f -> assertThat(f.message()).contains(hostile[1]));
            assertClean(allowed);
        }
    }

    @Test
    void qcow2RefusesA5000ByteBackingNameWithoutQuotingIt() {
        byte[] image = qcow2Backed.clone();
        ByteBuffer.wrap(image).putInt(16, 5000);
        ValidationReport report = validate(allowingBacking, image);
        assertThat(report.rejections()).anySatisfy(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.MALFORMED_HEADER);
            assertThat(f.message()).contains("backing_file_size is 5000").hasSizeLessThan(200);
        });
        assertClean(report);
    }

    @Test
    void qcow2DataFileNamesAndBackingFormatsAreEscapedAndCapped() {
        // Rewrite the extension list: a backing format with an ESC, a 5000-byte data file name.
        byte[] image = qcow2DataFile.clone();
        ByteBuffer b = ByteBuffer.wrap(image);
        int headerLength = b.getInt(100);
        byte[] format = "raw\u001b[2J".getBytes(StandardCharsets.UTF_8);
        byte[] name = new byte[5000];
        Arrays.fill(name, (byte) 'n');
        name[0] = 0x1b;
        name[1] = '\n';
        int at = headerLength;
        Arrays.fill(image, at, 0x8000, (byte) 0);
        b.putInt(at, 0xe2792aca).putInt(at + 4, format.length);
        System.arraycopy(format, 0, image, at + 8, format.length);
        at += 8 + (format.length + 7) / 8 * 8;
        b.putInt(at, 0x44415441).putInt(at + 4, name.length);
        System.arraycopy(name, 0, image, at + 8, name.length);

        Inspection inspection = InspectorHarness.inspect(new Qcow2Inspector(), image);
        assertThat(inspection.level()).as(inspection.findings().toString()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.details()).containsEntry("backing_format", "raw\\x1b[2J");
        assertThat(inspection.references()).singleElement().satisfies(ref -> {
            assertThat(ref.kind()).isEqualTo(ExternalReference.Kind.DATA_FILE);
            assertThat(ref.target()).startsWith("\\x1b\\x0annn").endsWith(" more characters)")
                    .hasSizeLessThanOrEqualTo(UntrustedText.MAX_NAME_CHARS + 32);
        });
        ValidationReport report = validate(validator, image);
        assertThat(report.rejections()).anySatisfy(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.QCOW2_DATA_FILE);
            assertThat(f.message()).contains("'\\x1b\\x0annn").contains(" more characters)'");
        });
        assertClean(report);
    }

    // ------------------------------------------------------------------ QED

    /** The backed QED with its backing file name replaced by {@code name} at the same offset. */
    private static byte[] qedWithBackingName(byte[] name) {
        byte[] image = qedBacked.clone();
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int offset = b.getInt(56);
        b.putInt(60, name.length);
        System.arraycopy(name, 0, image, offset, name.length);
        return image;
    }

    @Test
    void qedBackingNamesAreEscapedInReferencesAndFindings() {
        for (String[] hostile : HOSTILE) {
            byte[] image = qedWithBackingName(hostile[0].getBytes(StandardCharsets.UTF_8));
            Inspection inspection = InspectorHarness.inspect(new QedInspector(), image);
            assertThat(inspection.references()).singleElement()
                    .satisfies(ref -> assertThat(ref.target()).isEqualTo(hostile[1]));
            ValidationReport refused = validate(validator, image);
            assertThat(refused.rejections()).anySatisfy(f -> {
                assertThat(f.code()).isEqualTo(FindingCode.QED_BACKING_FILE);
                assertThat(f.message()).contains("'" + hostile[1] + "'");
            });
            assertClean(refused);
        }
    }

    @Test
    void qedLongBackingNamesAreCappedAndOverlongOnesRefused() {
        // qemu 7.2 opens QED backing names up to 4095 bytes.
        byte[] name = new byte[4000];
        Arrays.fill(name, (byte) 'q');
        name[0] = 0x1b;
        Inspection inspection = InspectorHarness.inspect(new QedInspector(), qedWithBackingName(name));
        assertThat(inspection.references()).singleElement().satisfies(ref -> assertThat(ref.target())
                .startsWith("\\x1bqqq").endsWith("...(3019 more characters)")
                .hasSizeLessThanOrEqualTo(UntrustedText.MAX_NAME_CHARS));
        assertClean(validate(allowingBacking, qedWithBackingName(name)));

        byte[] tooLong = new byte[5000];
        Arrays.fill(tooLong, (byte) 'q');
        ValidationReport report = validate(allowingBacking, qedWithBackingName(tooLong));
        assertThat(report.rejections()).anySatisfy(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.MALFORMED_HEADER);
            assertThat(f.message()).contains("backing_filename_size is 5000").hasSizeLessThan(200);
        });
        assertThat(report.references()).isEmpty();
    }

    // ------------------------------------------------------------------ LUKS

    private static byte[] luksWithField(int offset, byte[] value) {
        byte[] image = luks1.clone();
        Arrays.fill(image, offset, offset + 32, (byte) 0);
        System.arraycopy(value, 0, image, offset, Math.min(32, value.length));
        return image;
    }

    @Test
    void luksCipherNamesAreEscapedInFindings() {
        // Cipher name, cipher mode and hash spec are 32-byte fields at 8, 40 and 72.
        for (int field : new int[] {8, 40, 72}) {
            for (String[] hostile : List.of(new String[] {"aes\u001b[2J", "aes\\x1b[2J"},
                    new String[] {"xts\nplain64", "xts\\x0aplain64"}, new String[] {"sha\u0085256", "sha\\x85256"})) {
                byte[] image = luksWithField(field, hostile[0].getBytes(StandardCharsets.ISO_8859_1));
                ValidationReport report = validate(validator, image);
                assertThat(report.rejections()).as("field %d: %s", field, hostile[1]).anySatisfy(f -> {
                    assertThat(f.code()).isEqualTo(FindingCode.LUKS_MALFORMED);
                    assertThat(f.message()).contains("'" + hostile[1] + "'");
                });
                assertClean(report);
            }
        }
    }

    @Test
    void luksNamesEndAtNulAndUnterminatedNamesAreRefused() {
        Inspection nul = InspectorHarness.inspect(new LuksInspector(),
                luksWithField(8, "aes\u0000\u001b[2Jhidden".getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(nul.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(nul.details()).containsEntry("cipher", "aes-xts-plain64");

        byte[] unterminated = new byte[32];
        Arrays.fill(unterminated, (byte) 'a');
        ValidationReport report = validate(validator, luksWithField(8, unterminated));
        assertThat(report.rejections()).anySatisfy(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.LUKS_MALFORMED);
            assertThat(f.message()).contains("'" + "a".repeat(32) + "'");
        });
    }
}
