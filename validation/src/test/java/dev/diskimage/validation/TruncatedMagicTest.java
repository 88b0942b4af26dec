package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every format's distinctive magic, cut short: a real image of each format, cut at several
 * lengths from just after its magic to one byte short of the whole, is never accepted as raw,
 * whether nothing or raw is declared. (A cut image may still be refused for other reasons, or
 * even accepted as its own format when what is left is whole, as an ISO without its tail; it is
 * never raw.)
 */
class TruncatedMagicTest {
    /** Lengths to cut at, besides a few just after the magic and just short of the whole. */
    private static final long[] CUTS = {48, 64, 72, 100, 104, 511, 512, 513, 592, 1024, 2048, 4095, 4096, 8192,
            32768, 65535, 65536, 65537, 131072, 196608, 262144, 1 << 20};

    private static Path dir;
    private static Map<String, Sample> samples;

    /** A whole image and where its magic ends. */
    private record Sample(byte[] bytes, int magicEnd) {
    }

    private static synchronized Map<String, Sample> samples() throws Exception {
        if (samples == null) {
            dir = Files.createTempDirectory("truncated-magic");
            dir.toFile().deleteOnExit();
            Map<String, Sample> all = new LinkedHashMap<>();
            all.put("qcow2", qemu("qcow2", 4, "create", "-q", "-f", "qcow2", "{}", "1M"));
            all.put("qed", qemu("qed", 4, "create", "-q", "-f", "qed", "{}", "1M"));
            all.put("vdi", qemu("vdi", 0x44, "create", "-q", "-f", "vdi", "{}", "1M"));
            all.put("luks", qemu("luks", 6, "create", "-q", "-f", "luks", "--object", "secret,id=s,data=pw", "-o",
                    "key-secret=s,iter-time=10", "{}", "1M"));
            all.put("parallels", qemu("parallels", 16, "create", "-q", "-f", "parallels", "-o", "cluster_size=64k",
                    "{}", "1M"));
            all.put("vmdk-kdmv", qemu("vmdk", 4, "create", "-q", "-f", "vmdk", "{}", "1M"));
            all.put("vmdk-cowd", new Sample(VmdkInspectorTest.cowd(2048, 16, 4, 1), 4));
            all.put("vhd-dynamic", qemu("vhd", 8, "create", "-q", "-f", "vpc", "{}", "1M"));
            all.put("vhdx", qemu("vhdx", 8, "create", "-q", "-f", "vhdx", "{}", "1M"));
            all.put("iso", new Sample(IsoInspectorTest.iso(64, 1, 255), 16 * 2048 + 6));
            all.put("qcow-v1", qemu("qcow", 8, "create", "-q", "-f", "qcow", "{}", "1M"));
            all.put("bochs", new Sample(ForeignFormatsTest.bochs(), LeadingMagicSniffer.BOCHS.magic().length));
            all.put("cloop", new Sample(ForeignFormatsTest.cloop(), LeadingMagicSniffer.CLOOP.magic().length));
            samples = all;
        }
        return samples;
    }

    private static Sample qemu(String name, int magicEnd, String... args) throws Exception {
        Path whole = InspectorHarness.qemuImg(dir, "whole." + name, args);
        // Registered after the directory, so deleted before it at exit.
        whole.toFile().deleteOnExit();
        return new Sample(Files.readAllBytes(whole), magicEnd);
    }

    static Stream<Arguments> cuts() throws Exception {
        List<Arguments> cases = new ArrayList<>();
        for (Map.Entry<String, Sample> sample : samples().entrySet()) {
            int size = sample.getValue().bytes().length;
            int magicEnd = sample.getValue().magicEnd();
            TreeSet<Long> lengths = new TreeSet<>(List.of((long) magicEnd, magicEnd + 1L, magicEnd + 7L,
                    size - 512L, size - 1L));
            Arrays.stream(CUTS).forEach(lengths::add);
            lengths.stream().filter(length -> length >= magicEnd && length < size)
                    .forEach(length -> cases.add(Arguments.of(sample.getKey(), length)));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} cut to {1} bytes")
    @MethodSource("cuts")
    void aCutImageIsNeverAcceptedAsRaw(String format, long length) throws Exception {
        byte[] whole = samples().get(format).bytes();
        Path cut = Files.write(dir.resolve(format + "-" + length), Arrays.copyOf(whole, (int) length));
        ImageValidator validator = ImageValidator.of(ImagePolicy.defaults());
        try {
            for (Optional<DiskFormat> declared : List.of(Optional.<DiskFormat>empty(), Optional.of(DiskFormat.RAW))) {
                ValidationReport report = declared.isPresent() ? validator.validate(cut, declared.get())
                        : validator.validate(cut);
                assertThat(report.accepted() && report.detectedFormat().equals(Optional.of(DiskFormat.RAW)))
                        .as("%s cut to %d bytes, declared %s: %s %s %s", format, length, declared, report.verdict(),
                                report.detectedFormat(), report.findings())
                        .isFalse();
                assertThat(report.detectedFormat()).as("%s cut to %d bytes", format, length)
                        .isNotEqualTo(Optional.of(DiskFormat.RAW));
            }
        } finally {
            Files.delete(cut);
        }
    }
}
