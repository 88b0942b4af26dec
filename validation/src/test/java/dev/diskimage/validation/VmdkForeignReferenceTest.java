package dev.diskimage.validation;

import static dev.diskimage.validation.InspectorHarness.inspect;
import static dev.diskimage.validation.InspectorHarness.qemuImg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.diskimage.core.DiskFormat;
import dev.diskimage.core.UntrustedText;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * "References nothing outside itself" for every place a VMDK can name another file: the
 * descriptor embedded in a sparse file (as qemu-img writes it), both header copies of a
 * streamOptimized file with a footer, the fixed window at byte 0x200 that qemu reads the parent
 * from, and the parent name of an ESX COWD child. Every foreign name in every place must come
 * out as a reference the policy refuses, escaped.
 */
class VmdkForeignReferenceTest {
    private static final VmdkInspector INSPECTOR = new VmdkInspector();
    private static final int SECTOR = 512;
    private static final int DESCRIPTOR_OFFSET = 28;
    private static final int DESCRIPTOR_SIZE = 36;
    private static final int GD_OFFSET = 56;
    private static final int CAPACITY = 12;
    /** Sectors of qemu-img's 20-sector descriptor area split into two 10-sector copies. */
    private static final int HALF = 10;

    @TempDir
    static Path dir;
    private static byte[] sparse;
    private static long sparseCapacity;
    private static byte[] stream;
    private static long streamCapacity;

    @BeforeAll
    static void images() throws Exception {
        sparse = Files.readAllBytes(qemuImg(dir, "base.vmdk", "create", "-q", "-f", "vmdk", "-o",
                "subformat=monolithicSparse", "{}", "10M"));
        sparseCapacity = le(sparse).getLong(CAPACITY);
        Path raw = dir.resolve("data.raw");
        byte[] data = new byte[1 << 20];
        new Random(7).nextBytes(data);
        Files.write(raw, data);
        byte[] converted = Files.readAllBytes(qemuImg(dir, "stream.vmdk", "convert", "-q", "-f", "raw", "-O", "vmdk",
                "-o", "subformat=streamOptimized", raw.toString(), "{}"));
        stream = withFooter(converted);
        streamCapacity = le(stream).getLong(CAPACITY);
    }

    /** Where a foreign name is planted. */
    enum Place {
        /** The extent line of the descriptor qemu-img embeds in a monolithicSparse file. */
        MONOLITHIC_SPARSE_DESCRIPTOR,
        /** The descriptor both header copies of a streamOptimized file with a footer point to. */
        STREAM_OPTIMIZED_SHARED_DESCRIPTOR,
        /** Only the descriptor the first header points to (the footer copy points to a clean one). */
        STREAM_OPTIMIZED_FIRST_HEADER_DESCRIPTOR,
        /** Only the descriptor the footer's header copy points to. */
        STREAM_OPTIMIZED_FOOTER_DESCRIPTOR,
        /** Descriptor text in qemu's window at 0x200 while the header points to a clean descriptor elsewhere. */
        QEMU_WINDOW,
        /** The parent file name of an ESX COWD child disk. */
        COWD_PARENT;

        boolean copiesDiffer() {
            return this == STREAM_OPTIMIZED_FIRST_HEADER_DESCRIPTOR || this == STREAM_OPTIMIZED_FOOTER_DESCRIPTOR
                    || this == QEMU_WINDOW;
        }
    }

    static Stream<Arguments> foreignNamesInEveryPlace() {
        return VmdkSelfExtentTest.foreignNames()
                // a name a descriptor line cannot hold (control characters other than tab) has its own tests
                .filter(name -> name.chars().noneMatch(c -> c < 0x20 && c != '\t'))
                .flatMap(name -> Stream.of(Place.values()).map(place -> Arguments.of(place, name)));
    }

    @ParameterizedTest(name = "{0}: \"{1}\"")
    @MethodSource("foreignNamesInEveryPlace")
    void reportsEveryForeignNameWhereverTheImageCarriesIt(Place place, String name) {
        Inspection inspection = inspect(INSPECTOR, build(place, name));

        ExternalReference.Kind kind = place == Place.COWD_PARENT
                ? ExternalReference.Kind.BACKING : ExternalReference.Kind.EXTENT;
        FindingCode code = place == Place.COWD_PARENT ? FindingCode.VMDK_PARENT_HINT : FindingCode.VMDK_EXTERNAL_EXTENT;
        assertThat(inspection.references()).anySatisfy(r -> {
            assertThat(r.kind()).isEqualTo(kind);
            assertThat(r.code()).isEqualTo(code);
            assertThat(r.target()).isEqualTo(UntrustedText.sanitize(name));
        });
        if (place.copiesDiffer()) {
            assertThat(inspection.findings()).extracting(Finding::code).contains(FindingCode.VMDK_COPIES_DISAGREE);
        }
        assertNoRawControlCharacters(inspection);
    }

    @ParameterizedTest
    @EnumSource(Place.class)
    void acceptsTheSameImagesWhenTheyNameOnlyThemselves(Place place) {
        Inspection inspection = inspect(INSPECTOR, build(place, null));

        assertThat(inspection.level()).isEqualTo(MatchLevel.MATCH);
        assertThat(inspection.references()).isEmpty();
        assertThat(inspection.findings()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = Place.class, names = "COWD_PARENT", mode = EnumSource.Mode.EXCLUDE)
    void foreignNamesAreRefusedByTheValidatorEvenWhenBackingFilesAreAllowed(Place place) throws Exception {
        Path image = dir.resolve("whole-" + place + ".img");
        Files.write(image, build(place, "/etc/hosts"));
        ImageValidator lenient = ImageValidator.of(ImagePolicy.defaults().withAllowBackingFiles(true));

        ValidationReport report = lenient.validate(image, DiskFormat.VMDK);

        assertThat(report.accepted()).isFalse();
        assertThat(report.rejections()).extracting(Finding::code).contains(FindingCode.VMDK_EXTERNAL_EXTENT);
    }

    // ------------------------------------------------------------------ hostile characters

    @Test
    void escapesControlCharactersInACowdParentName() {
        byte[] bytes = cowd(0, "/x\u001b]0;owned\u0007\ny".getBytes(StandardCharsets.UTF_8));

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(r.target()).isEqualTo("/x\\x1b]0;owned\\x07\\x0ay");
        });
        assertNoRawControlCharacters(inspection);
    }

    @Test
    void cowdParentNameEndsAtItsFirstNul() {
        byte[] bytes = cowd(0, "base.vmdk\0/etc/shadow".getBytes(StandardCharsets.UTF_8));

        assertThat(inspect(INSPECTOR, bytes).references()).extracting(ExternalReference::target)
                .containsExactly("base.vmdk");
    }

    @Test
    void escapesControlCharactersInAWindowParentHint() {
        byte[] bytes = sparse.clone();
        moveDescriptor(bytes, HALF + 1);
        put(bytes, SECTOR, "parentFileNameHint=\"/p\u001b[2J\u009b\"\n");

        Inspection inspection = inspect(INSPECTOR, bytes);

        assertThat(inspection.references()).singleElement().satisfies(r -> {
            assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING);
            assertThat(r.target()).isEqualTo("/p\\x1b[2J\\x9b");
        });
        assertThat(inspection.findings()).extracting(Finding::code).contains(FindingCode.VMDK_MALFORMED_DESCRIPTOR);
        assertNoRawControlCharacters(inspection);
    }

    @Test
    void escapesControlCharactersThatADescriptorLineCanHoldInAnExtentName() {
        // Tab and a lone CR pass the descriptor's line syntax; a C1 CSI arrives as UTF-8 bytes.
        List<String> names = List.of("a\u009b31mb.vmdk", "a\tb.vmdk", "a\rb.vmdk", "a\u202eb.vmdk");
        List<String> escaped = List.of("a\\x9b31mb.vmdk", "a\\x09b.vmdk", "a\\x0db.vmdk", "a\\u{202e}b.vmdk");
        for (int i = 0; i < names.size(); i++) {
            Inspection inspection = inspect(INSPECTOR, build(Place.MONOLITHIC_SPARSE_DESCRIPTOR, names.get(i)));

            assertThat(inspection.references()).extracting(ExternalReference::target).containsExactly(escaped.get(i));
            assertNoRawControlCharacters(inspection);
        }
    }

    @Test
    void rejectsEscNewlineAndNulInAnExtentNameWithoutEchoingThem() {
        for (String name : List.of("a\u001b[31mb.vmdk", "a\nb.vmdk", "a\0b.vmdk", "a\u007fb")) {
            for (Place place : List.of(Place.MONOLITHIC_SPARSE_DESCRIPTOR, Place.STREAM_OPTIMIZED_SHARED_DESCRIPTOR,
                    Place.QEMU_WINDOW)) {
                Inspection inspection = inspect(INSPECTOR, build(place, name));

                assertThat(inspection.findings()).as(place + " " + name).anySatisfy(f -> {
                    assertThat(f.rejects()).isTrue();
                    assertThat(f.code()).isEqualTo(FindingCode.VMDK_MALFORMED_DESCRIPTOR);
                });
                assertNoRawControlCharacters(inspection);
            }
        }
    }

    @Test
    void parentHintsWithHostileCharactersAreRefusedOrEscapedInEveryDescriptorForm() {
        for (String hint : List.of("/p\u001b[2J", "/p\nq", "/p\0q", "/p\u009bq", "/p\u202eq")) {
            String embedded = descriptor(sparse, "base.vmdk").replace("createType=",
                    "parentFileNameHint=\"" + hint + "\"\ncreateType=");
            byte[] sparseImage = sparse.clone();
            writeDescriptor(sparseImage, SECTOR, embedded);
            byte[] descriptorFile = ("# Disk DescriptorFile\nversion=1\nCID=1\nparentCID=2\n"
                    + "createType=\"monolithicFlat\"\nparentFileNameHint=\"" + hint + "\"\nRW 10 FLAT \"f.vmdk\" 0\n")
                    .getBytes(StandardCharsets.UTF_8);
            for (byte[] image : List.of(sparseImage, descriptorFile)) {
                Inspection inspection = inspect(INSPECTOR, image);

                boolean printableInUtf8 = hint.chars().allMatch(c -> c >= 0x20 && c != 0x7f);
                if (printableInUtf8) {
                    // C1 and bidi characters pass the byte-level syntax: reported, escaped.
                    assertThat(inspection.references()).as(hint).anySatisfy(r -> {
                        assertThat(r.kind()).isEqualTo(ExternalReference.Kind.BACKING);
                        assertThat(r.target()).isEqualTo(UntrustedText.sanitize(hint)).isNotEqualTo(hint);
                    });
                } else {
                    assertThat(inspection.findings()).as(hint).anySatisfy(f -> {
                        assertThat(f.rejects()).isTrue();
                        assertThat(f.code()).isEqualTo(FindingCode.VMDK_MALFORMED_DESCRIPTOR);
                    });
                }
                assertNoRawControlCharacters(inspection);
            }
        }
    }

    @Test
    void validatorReportsCarryNoRawControlCharacters() throws Exception {
        Path image = dir.resolve("hostile-cowd.vmdk");
        Files.write(image, cowd(0, "\u001b]8;;http://evil\u0007x\u001b]8;;\u0007".getBytes(StandardCharsets.UTF_8)));

        ValidationReport report = ImageValidator.of(ImagePolicy.defaults()).validate(image);

        assertThat(report.accepted()).isFalse();
        assertThat(report.rejections()).extracting(Finding::code).contains(FindingCode.VMDK_PARENT_HINT);
        assertThat(report.rejections()).anySatisfy(f -> assertThat(f.message()).contains("\\x1b]8;;http://evil\\x07x"));
        report.findings().forEach(f -> assertClean(f.message()));
        report.references().forEach(r -> assertClean(r.target()));
    }

    // ------------------------------------------------------------------ building the images

    /** The image for {@code place} naming {@code name}, or naming only itself when {@code name} is null. */
    static byte[] build(Place place, String name) {
        switch (place) {
            case MONOLITHIC_SPARSE_DESCRIPTOR -> {
                byte[] bytes = sparse.clone();
                writeDescriptor(bytes, SECTOR, descriptor(sparse, name == null ? "renamed.vmdk" : name));
                return bytes;
            }
            case STREAM_OPTIMIZED_SHARED_DESCRIPTOR -> {
                byte[] bytes = stream.clone();
                writeDescriptor(bytes, SECTOR, descriptor(stream, name == null ? "renamed.vmdk" : name));
                return bytes;
            }
            case STREAM_OPTIMIZED_FIRST_HEADER_DESCRIPTOR, STREAM_OPTIMIZED_FOOTER_DESCRIPTOR -> {
                byte[] bytes = stream.clone();
                String clean = descriptor(stream, "stream.vmdk");
                String foreign = name == null ? clean : descriptor(stream, name);
                boolean first = place == Place.STREAM_OPTIMIZED_FIRST_HEADER_DESCRIPTOR;
                Arrays.fill(bytes, SECTOR, SECTOR + 2 * HALF * SECTOR, (byte) 0);
                // The descriptor at sector 1 (qemu's window) stays the one the other copy points to.
                put(bytes, SECTOR, clean);
                put(bytes, (1 + HALF) * SECTOR, foreign);
                int header = first ? 0 : bytes.length - 1024;
                int other = first ? bytes.length - 1024 : 0;
                le(bytes).putLong(header + DESCRIPTOR_OFFSET, 1 + HALF).putLong(header + DESCRIPTOR_SIZE, HALF)
                        .putLong(other + DESCRIPTOR_OFFSET, 1).putLong(other + DESCRIPTOR_SIZE, HALF);
                return bytes;
            }
            case QEMU_WINDOW -> {
                byte[] bytes = sparse.clone();
                String clean = descriptor(sparse, "base.vmdk");
                moveDescriptor(bytes, 1 + HALF);
                put(bytes, SECTOR, name == null ? clean : descriptor(sparse, name));
                return bytes;
            }
            case COWD_PARENT -> {
                return name == null ? cowd(VmdkInspector.COWD_FLAG_ROOT, new byte[0])
                        : cowd(0, name.getBytes(StandardCharsets.UTF_8));
            }
            default -> throw new IllegalArgumentException(place.toString());
        }
    }

    /** qemu-img's own descriptor of {@code image} with its one extent renamed to {@code name}. */
    static String descriptor(byte[] image, String name) {
        int end = SECTOR;
        while (image[end] != 0) {
            end++;
        }
        String text = new String(image, SECTOR, end - SECTOR, StandardCharsets.UTF_8);
        return text.replaceFirst("SPARSE \"[^\"]*\"", java.util.regex.Matcher.quoteReplacement("SPARSE \"" + name
                + "\""));
    }

    /** Moves the header's descriptor to a clean 10-sector copy at {@code sector}, zeroing sector 1 on. */
    private static void moveDescriptor(byte[] bytes, int sector) {
        String clean = descriptor(bytes, "base.vmdk");
        Arrays.fill(bytes, SECTOR, SECTOR + 2 * HALF * SECTOR, (byte) 0);
        put(bytes, sector * SECTOR, clean);
        le(bytes).putLong(DESCRIPTOR_OFFSET, sector).putLong(DESCRIPTOR_SIZE, HALF);
    }

    private static void writeDescriptor(byte[] bytes, int offset, String text) {
        Arrays.fill(bytes, offset, offset + 2 * HALF * SECTOR, (byte) 0);
        put(bytes, offset, text);
    }

    private static void put(byte[] bytes, int offset, String text) {
        byte[] raw = text.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(raw, 0, bytes, offset, raw.length);
    }

    /** An ESX COWD disk of 2048 sectors with {@code flags} and {@code parentName} in its union. */
    static byte[] cowd(long flags, byte[] parentName) {
        byte[] bytes = new byte[8192];
        ByteBuffer b = le(bytes);
        b.putInt(0, VmdkInspector.COWD_MAGIC).putInt(4, 1).putInt(8, (int) flags).putInt(12, 2048)
                .putInt(16, 1).putInt(20, 4).putInt(24, 1);
        System.arraycopy(parentName, 0, bytes, VmdkInspector.COWD_PARENT_NAME,
                Math.min(parentName.length, VmdkInspector.COWD_PARENT_NAME_BYTES));
        return bytes;
    }

    /** Moves a streamOptimized image's header into a footer, the way VMware tools write it. */
    static byte[] withFooter(byte[] original) {
        byte[] bytes = Arrays.copyOf(original, original.length + 1536);
        ByteBuffer b = le(bytes);
        int marker = original.length;
        b.putLong(marker, 1).putInt(marker + 8, 0).putInt(marker + 12, VmdkInspector.MARKER_FOOTER);
        System.arraycopy(original, 0, bytes, marker + 512, 512);
        b.putLong(GD_OFFSET, -1L);
        return bytes;
    }

    static ByteBuffer le(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    static void assertNoRawControlCharacters(Inspection inspection) {
        inspection.findings().forEach(f -> assertClean(f.message()));
        inspection.references().forEach(r -> assertClean(r.target()));
        inspection.variant().ifPresent(VmdkForeignReferenceTest::assertClean);
        inspection.details().values().forEach(v -> assertClean(String.valueOf(v)));
    }

    private static void assertClean(String text) {
        assertThat(text.codePoints().filter(c -> Character.isISOControl(c)
                || Character.getType(c) == Character.FORMAT)).as(text).isEmpty();
    }
}
