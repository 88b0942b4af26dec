package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.testing.OneBytePerReadChannel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Formats qemu-img 7.2 probes but this project does not support: each is refused with
 * UNSUPPORTED_FORMAT, never detected as raw, never accepted as any declared format; each sniffer
 * recognises at least what qemu's probe recognises.
 */
class ForeignFormatsTest {
    @TempDir
    static Path dir;

    private static Map<String, Path> samples;
    private final ImageValidator validator = ImageValidator.of(ImagePolicy.defaults());

    @BeforeAll
    static void images() throws Exception {
        samples = Map.of(
                "bochs", Files.write(dir.resolve("disk.bochs"), bochs()),
                "cloop", Files.write(dir.resolve("disk.cloop"), cloop()),
                "dmg", Files.write(dir.resolve("disk.udif"), udif(4608, 4096)),
                "qcow", InspectorHarness.qemuImg(dir, "disk.qcow", "create", "-q", "-f", "qcow", "{}", "1M"));
    }

    /** A valid Bochs growing disk of 4 KiB: header, one unallocated catalog entry. */
    static byte[] bochs() {
        ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        b.put(0, "Bochs Virtual HD Image".getBytes(StandardCharsets.US_ASCII));
        b.put(32, "Redolog".getBytes(StandardCharsets.US_ASCII));
        b.put(48, "Growing".getBytes(StandardCharsets.US_ASCII));
        // version 2, header size, catalog entries, bitmap size, extent size, reserved, disk size.
        b.putInt(64, 0x20000).putInt(68, 512).putInt(72, 1).putInt(76, 512).putInt(80, 4096).putInt(84, 0)
                .putLong(88, 4096);
        b.putInt(512, -1);
        return b.array();
    }

    /** A valid cloop V2.0 image with one empty block of 512 bytes. */
    static byte[] cloop() {
        byte[] script = "#!/bin/sh\n#V2.0 Format\nmodprobe cloop file=$0 && mount -r -t iso9660 /dev/cloop $1\n"
                .getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(168);
        b.put(0, script);
        b.putInt(128, 512).putInt(132, 1).putLong(136, 152).putLong(144, 168);
        return b.array();
    }

    /** {@code size} zero bytes with a UDIF "koly" trailer signature at {@code kolyOffset}. */
    static byte[] udif(int size, int kolyOffset) {
        byte[] image = new byte[size + 512];
        ByteBuffer.wrap(image).put(kolyOffset, "koly".getBytes(StandardCharsets.US_ASCII));
        return Arrays.copyOf(image, Math.max(size, kolyOffset + 4));
    }

    private static List<FindingCode> rejections(ValidationReport report) {
        return report.rejections().stream().map(Finding::code).toList();
    }

    @Test
    void qemuProbesTheSamplesAsTheirFormats() throws Exception {
        // The oracle: qemu-img's own probe (tests may let it probe; the library never does).
        for (String format : List.of("bochs", "cloop", "qcow")) {
            assertThat(probedFormat(samples.get(format))).as(format).isEqualTo(format);
        }
    }

    @Test
    void everyProbedForeignFormatIsRefusedAndNeverRaw() {
        samples.forEach((format, file) -> {
            ValidationReport report = validator.validate(file);
            assertThat(report.accepted()).as(format).isFalse();
            assertThat(report.detectedFormat()).as(format).isEmpty();
            assertThat(report.rejections()).as(format).anySatisfy(f -> {
                assertThat(f.code()).isEqualTo(FindingCode.UNSUPPORTED_FORMAT);
                assertThat(f.message()).startsWith(format + ": the bytes are a ")
                        .endsWith("which qemu would open as " + format + "; not a supported format");
            });
            for (DiskFormat declared : DiskFormat.values()) {
                ValidationReport asDeclared = validator.validate(file, declared);
                assertThat(asDeclared.accepted()).as(format + " declared " + declared).isFalse();
                assertThat(rejections(asDeclared)).as(format + " declared " + declared)
                        .contains(FindingCode.UNSUPPORTED_FORMAT, FindingCode.FORMAT_MISMATCH);
            }
        });
    }

    @Test
    void theFindingNamesTheFormatAndWhereItsEvidenceLiesStreamedOrFromAFile() throws IOException {
        Map<String, String> descriptions = Map.of("bochs", "bochs", "cloop", "cloop", "dmg", "dmg (UDIF)",
                "qcow", "qcow version 1");
        Map<String, Long> evidence = Map.of("bochs", 0L, "cloop", 0L, "dmg", 4096L, "qcow", 0L);
        for (Map.Entry<String, Path> sample : samples.entrySet()) {
            String format = sample.getKey();
            ValidationReport fromStream;
            try (InputStream in = validator.inspecting(Files.newInputStream(sample.getValue()), format)) {
                fromStream = ((InspectingInputStream) in).drainAndReport();
            }
            for (ValidationReport report : List.of(validator.validate(sample.getValue()), fromStream)) {
                assertThat(report.rejections()).as(format).singleElement().satisfies(f -> {
                    assertThat(f.code()).isEqualTo(FindingCode.UNSUPPORTED_FORMAT);
                    assertThat(f.offset()).isEqualTo(evidence.get(format));
                    assertThat(f.message()).isEqualTo(format + ": the bytes are a " + descriptions.get(format)
                            + " image, which qemu would open as " + format + "; not a supported format");
                });
            }
        }
    }

    @Test
    void aDmgLargerThanAGibibyteIsRefusedByItsTrailer(@TempDir Path big) throws IOException {
        // Sparse: 1.5 GiB of nothing but the trailer signature in the last sector.
        long size = 3L << 29;
        Path file = big.resolve("large.img");
        try (java.io.RandomAccessFile raf = new java.io.RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size);
            raf.seek(size - 512);
            raf.write("koly".getBytes(StandardCharsets.US_ASCII));
        }

        ValidationReport report = validator.validate(file);

        assertThat(report.detectedFormat()).isEmpty();
        assertThat(report.rejections()).anySatisfy(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.UNSUPPORTED_FORMAT);
            assertThat(f.offset()).isEqualTo(size - 512);
            assertThat(f.message()).startsWith("dmg: the bytes are a dmg (UDIF) image");
        });
    }

    @Test
    void streamsAreRefusedTheSameWay() throws IOException {
        for (Map.Entry<String, Path> sample : samples.entrySet()) {
            ValidationReport fromStream;
            try (InputStream in = validator.inspecting(Files.newInputStream(sample.getValue()), sample.getKey())) {
                fromStream = ((InspectingInputStream) in).drainAndReport();
            }
            assertThat(fromStream.detectedFormat()).as(sample.getKey()).isEmpty();
            assertThat(rejections(fromStream)).as(sample.getKey())
                    .isEqualTo(rejections(validator.validate(sample.getValue())));
        }
    }

    @Test
    void sniffersAreLooserThanQemusProbes() {
        // The magic alone, cut short, or with a header qemu's probe would not take: still refused.
        byte[] bochsMagicOnly = Arrays.copyOf(bochs(), 22);
        byte[] bochsVersion3 = bochs();
        ByteBuffer.wrap(bochsVersion3).order(ByteOrder.LITTLE_ENDIAN).putInt(64, 0x30000);
        byte[] cloopTwoLines = Arrays.copyOf(cloop(), 23);
        byte[] qcowHeaderOnly = Arrays.copyOf(new byte[] {'Q', 'F', 'I', (byte) 0xfb, 0, 0, 0, 1}, 8);
        for (byte[] image : List.of(bochsMagicOnly, bochsVersion3, cloopTwoLines, qcowHeaderOnly)) {
            ValidationReport report = validate(image);
            assertThat(report.detectedFormat()).isEmpty();
            assertThat(rejections(report)).contains(FindingCode.UNSUPPORTED_FORMAT);
        }
    }

    @Test
    void dmgSnifferSeesEveryTrailerQemuFinds() throws Exception {
        // dmg_find_koly_offset searches the last 1023 bytes; odd sizes put the trailer anywhere there.
        DmgSniffer sniffer = new DmgSniffer();
        for (int size : new int[] {512, 1000, 1023, 1024, 4096, 4097, 5000}) {
            for (int back : new int[] {4, 5, 511, 512, 513, 515, 1000, 1023, 1024, 1200}) {
                if (back > size) {
                    continue;
                }
                byte[] image = udif(size, size - back);
                Path named = Files.write(dir.resolve("probe-" + size + "-" + back + ".dmg"), image);
                boolean qemuFindsTrailer = !qemuInfoOutput(named, "dmg").contains("Could not locate UDIF trailer");
                OptionalLong sniffed = sniffer.sniff(new FileImageBytes(new OneBytePerReadChannel(image),
                        image.length, InspectorHarness.BUDGET));
                if (qemuFindsTrailer) {
                    assertThat(sniffed).as("size %d, koly %d from the end", size, back).hasValue(size - back);
                }
            }
        }
    }

    @Test
    void rawThatOnlyMentionsAMagicElsewhereStaysRaw() {
        byte[] image = new byte[8192];
        byte[] koly = "koly".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(koly, 0, image, 8192 - 1100, 4);
        System.arraycopy(LeadingMagicSniffer.BOCHS.magic(), 0, image, 1, LeadingMagicSniffer.BOCHS.magic().length);
        System.arraycopy(LeadingMagicSniffer.CLOOP.magic(), 0, image, 512, LeadingMagicSniffer.CLOOP.magic().length);
        ValidationReport report = validate(image);
        assertThat(report.accepted()).as(report.findings().toString()).isTrue();
        assertThat(report.detectedFormat()).contains(DiskFormat.RAW);
    }

    @Test
    void aForeignTrailerBehindAValidFormatLeavesNoFormat() throws Exception {
        Path qcow2 = InspectorHarness.qemuImg(dir, "tail.qcow2", "create", "-q", "-f", "qcow2", "{}", "1M");
        byte[] image = Files.readAllBytes(qcow2);
        byte[] withTrailer = Arrays.copyOf(image, image.length + 512);
        System.arraycopy("koly".getBytes(StandardCharsets.US_ASCII), 0, withTrailer, image.length, 4);
        ValidationReport report = validate(withTrailer);
        assertThat(report.detectedFormat()).isEmpty();
        assertThat(rejections(report)).contains(FindingCode.UNSUPPORTED_FORMAT);
        assertThat(validator.validate(qcow2).accepted()).isTrue();
    }

    @Test
    void aSnifferThatCannotLookRejects() {
        ForeignFormat blind = new ForeignFormat() {
            @Override
            public String qemuDriver() {
                return "blind";
            }

            @Override
            public OptionalLong sniff(ImageBytes image) {
                throw new InspectionFailure(FindingCode.READ_BUDGET_EXCEEDED, 0, "no budget left");
            }
        };
        byte[] image = new byte[4096];
        Detection detection = new FormatDetector(Inspectors.all(), List.of(blind)).detect(
                new FileImageBytes(new OneBytePerReadChannel(image), image.length, InspectorHarness.BUDGET));
        assertThat(detection.format()).isEmpty();
        assertThat(detection.findings()).singleElement().satisfies(f -> {
            assertThat(f.code()).isEqualTo(FindingCode.READ_BUDGET_EXCEEDED);
            assertThat(f.message()).isEqualTo("blind: no budget left");
        });
    }

    @Test
    void regressionSeedsOfTheValidatorFuzzTestAreRefused() throws IOException {
        String corpus = "ImageValidatorFuzzTestInputs/validatesFilesAndStreamsAlike/";
        for (String seed : List.of("foreign-bochs.bin", "foreign-cloop.bin", "foreign-dmg.bin", "foreign-qcow1.qcow")) {
            byte[] data;
            try (InputStream in = getClass().getResourceAsStream(corpus + seed)) {
                assertThat(in).as(seed).isNotNull();
                data = in.readAllBytes();
            }
            // The fuzz test reads its first byte as a chunk size; the image follows.
            ValidationReport report = validate(Arrays.copyOfRange(data, 1, data.length));
            assertThat(rejections(report)).as(seed).contains(FindingCode.UNSUPPORTED_FORMAT);
            assertThat(report.detectedFormat()).as(seed).isEmpty();
        }
    }

    private ValidationReport validate(byte[] image) {
        return validator.validate("bytes", new FileImageBytes(new OneBytePerReadChannel(image), image.length,
                ImagePolicy.DEFAULT_READ_BUDGET), Optional.empty());
    }

    private static String probedFormat(Path file) throws Exception {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"format\":\\s*\"([a-z0-9]+)\"")
                .matcher(qemuInfoOutput(file, null));
        return m.find() ? m.group(1) : "(none)";
    }

    /** qemu-img info's output; {@code format} null lets qemu-img probe. */
    private static String qemuInfoOutput(Path file, String format) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("qemu-img", "info", "--output=json"));
        if (format != null) {
            command.addAll(List.of("-f", format));
        }
        command.add(file.toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        return output;
    }
}
