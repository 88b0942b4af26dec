package dev.diskimage.conversion.archive;

import static dev.diskimage.conversion.archive.TarGzArchives.gnuTar;
import static dev.diskimage.conversion.archive.TarGzArchives.tar;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.diskimage.conversion.archive.ArchiveRefusedException.Reason;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.NotEnoughSpaceException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TarGzExtractorTest {

    private static final long GIB = 1L << 30;
    /** GNU tar's type for the continuation of a file from the previous volume. */
    private static final byte GNU_MULTIVOLUME = 'M';
    /** The name GNU tar gives the entry holding the next entry's long name. */
    private static final String GNU_LONG_LINK = "././@LongLink";

    @TempDir
    Path temp;

    private Path archive;
    private Path out;
    private Path target;

    @BeforeEach
    void layout() throws IOException {
        archive = Files.createDirectory(temp.resolve("in")).resolve("image.tgz");
        out = Files.createDirectory(temp.resolve("out"));
        target = out.resolve("extracted");
    }

    @Test
    void extractsFilesAndNestedDirectories() throws IOException {
        tar().file("0.vhd", "top").directory("dir").directory("dir/sub").file("dir/sub/deep.txt", "deep")
                .file("./1.vhd", "base").file("implicit/parents/file.bin", new byte[100_000]).writeTo(archive);

        ExtractedArchive result = TarGzExtractor.extractTarGz(archive, target);

        assertThat(result.directory()).isEqualTo(target.toAbsolutePath());
        assertThat(result.files()).containsExactly(target.resolve("0.vhd"), target.resolve("dir/sub/deep.txt"),
                target.resolve("1.vhd"), target.resolve("implicit/parents/file.bin"));
        assertThat(result.entries()).isEqualTo(6);
        assertThat(result.expandedBytes()).isEqualTo(3 + 4 + 4 + 100_000);
        assertThat(target.resolve("0.vhd")).hasContent("top");
        assertThat(target.resolve("1.vhd")).hasContent("base");
        assertThat(target.resolve("dir/sub/deep.txt")).hasContent("deep");
        assertThat(Files.size(target.resolve("implicit/parents/file.bin"))).isEqualTo(100_000);
        assertThat(out).isDirectoryContaining(target::equals);
        try (Stream<Path> siblings = Files.list(out)) {
            assertThat(siblings).containsExactly(target);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gnu-nested.tar", "pax-nested.tar"})
    void extractsWhatGnuTarWrites(String seed) throws IOException {
        TarGzArchives.writeGzip(archive, seed(seed));

        ExtractedArchive result = TarGzExtractor.extractTarGz(archive, target);

        assertThat(result.files()).containsExactly(target.resolve("0.vhd"), target.resolve("d/sub/f"));
        assertThat(target.resolve("0.vhd")).hasContent("top");
        assertThat(target.resolve("d/sub/f")).hasContent("deep");
    }

    @ParameterizedTest
    @ValueSource(strings = {"gnu-sparse.tar", "pax-sparse.tar"})
    void extractsSparseFilesGnuTarWrites(String seed) throws IOException {
        TarGzArchives.writeGzip(archive, seed(seed));

        TarGzExtractor.extractTarGz(archive, target);

        byte[] expected = new byte[65536];
        expected[20000] = 'a';
        expected[20001] = 'b';
        expected[20002] = 'c';
        assertThat(target.resolve("sparse")).hasBinaryContent(expected);
    }

    @Test
    void refusesTheSymbolicLinkGnuTarWrites() throws IOException {
        TarGzArchives.writeGzip(archive, seed("ustar-symlink.tar"));

        assertRefused(Reason.SYMBOLIC_LINK, "link");
    }

    /** A tar GNU tar 1.34 wrote, from the fuzz test's seed corpus. */
    private static byte[] seed(String name) throws IOException {
        try (var in = TarGzExtractorTest.class.getResourceAsStream("TarGzExtractorFuzzTestInputs/extractsOrRefuses/" + name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void writesFilesWithoutExecuteOrSetuidBitsAndPrivateDirectories() throws IOException {
        TarArchiveEntry setuid = new TarArchiveEntry("tool");
        setuid.setMode(04755);
        setuid.setSize(2);
        TarArchiveEntry openDirectory = new TarArchiveEntry("shared/", TarConstants.LF_DIR);
        openDirectory.setMode(01777);
        tar().entry(setuid, "#!".getBytes(StandardCharsets.UTF_8)).entry(openDirectory, new byte[0]).writeTo(archive);

        TarGzExtractor.extractTarGz(archive, target);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("tool"))))
                .isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target.resolve("shared"))))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(target))).isEqualTo("rwx------");
    }

    @Test
    void replacesAnEmptyTargetDirectory() throws IOException {
        Files.createDirectory(target);
        tar().file("0.vhd", "x").writeTo(archive);

        TarGzExtractor.extractTarGz(archive, target);

        assertThat(target.resolve("0.vhd")).hasContent("x");
    }

    @Test
    void extractsAnEmptyArchiveAndTheRootDirectoryEntry() throws IOException {
        tar().directory("./").directory(".").writeTo(archive);

        ExtractedArchive result = TarGzExtractor.extractTarGz(archive, target);

        assertThat(result.files()).isEmpty();
        assertThat(result.entries()).isEqualTo(2);
        assertThat(target).isEmptyDirectory();
    }

    @Test
    void acceptsEntriesUpToTheLimits() throws IOException {
        tar().file("a", "12345").file("b", "67890").writeTo(archive);

        ExtractedArchive result = TarGzExtractor.extractTarGz(archive, target,
                new ExtractionLimits(2, 10));

        assertThat(result.expandedBytes()).isEqualTo(10);
    }

    @Test
    void refusesANonEmptyTargetAndLeavesItAlone() throws IOException {
        Files.createDirectory(target);
        Files.writeString(target.resolve("mine"), "keep");
        tar().file("0.vhd", "x").writeTo(archive);

        assertThatThrownBy(() -> TarGzExtractor.extractTarGz(archive, target))
                .isInstanceOf(ImageIoException.class).hasMessageContaining("not an empty directory");
        try (Stream<Path> content = Files.list(target)) {
            assertThat(content).containsExactly(target.resolve("mine"));
        }
        try (Stream<Path> siblings = Files.list(out)) {
            assertThat(siblings).containsExactly(target);
        }
    }

    @Test
    void refusesATargetWhoseParentIsMissing() {
        tar().file("0.vhd", "x").writeTo(archive);

        assertThatThrownBy(() -> TarGzExtractor.extractTarGz(archive, out.resolve("missing/extracted")))
                .isInstanceOf(ImageIoException.class).hasMessageContaining("no such file")
                .hasRootCauseMessage(out.resolve("missing") + ": its parent directory does not exist");
        assertThat(out).isEmptyDirectory();
    }

    @Test
    void reportsAMissingArchiveAsAnIoError() {
        assertThatThrownBy(() -> TarGzExtractor.extractTarGz(temp.resolve("nope.tgz"), target))
                .isInstanceOf(ImageIoException.class).hasMessageContaining("no such file");
        assertThat(out).isEmptyDirectory();
    }

    @Test
    void refusesParentTraversal() {
        tar().file("ok", "x").file("../x", "evil").writeTo(archive);

        assertRefused(Reason.ESCAPES_TARGET, "../x");
        assertThat(temp.resolve("x")).doesNotExist();
    }

    @Test
    void refusesTraversalThatEscapesOnlyAfterNormalisation() {
        tar().file("a/../../x", "evil").writeTo(archive);

        assertRefused(Reason.ESCAPES_TARGET, "a/../../x");
    }

    @Test
    void refusesParentComponentsEvenInsideTheTarget() {
        tar().file("a/../b", "x").writeTo(archive);

        assertRefused(Reason.PARENT_REFERENCE, "a/../b");
    }

    @Test
    void refusesAbsolutePaths() {
        tar().file("/etc/passwd", "root::0:0::/:/bin/sh").writeTo(archive);

        assertRefused(Reason.ABSOLUTE_PATH, "/etc/passwd");
    }

    @Test
    void paxPathWithLeadingSlashLandsInsideTheTarget() throws IOException {
        // Commons Compress strips leading slashes from PAX paths and GNU long names while reading:
        // such an entry can only land inside the target.
        String longAbsolute = "/" + "d".repeat(120) + "/passwd";
        tar().file(longAbsolute, "x").writeTo(archive);

        ExtractedArchive result = TarGzExtractor.extractTarGz(archive, target);

        assertThat(result.files()).containsExactly(target.resolve(longAbsolute.substring(1)));
    }

    /** Tar types (POSIX ustar typeflag): 1 hard link, 2 symbolic link, 3 character device, 4 block device, 6 FIFO. */
    @ParameterizedTest(name = "type {0}: {1}")
    @CsvSource({"2, SYMBOLIC_LINK", "1, HARD_LINK", "3, DEVICE", "4, DEVICE", "6, FIFO"})
    void refusesLinksDevicesAndFifos(char type, Reason reason) {
        tar().file("0.vhd", "x").special("1.vhd", (byte) type).writeTo(archive);

        assertRefused(reason, "1.vhd");
    }

    @Test
    void refusesOtherEntryTypes() {
        tar().special("label", GNU_MULTIVOLUME).writeTo(archive);

        ArchiveRefusedException refused = assertRefused(Reason.UNSUPPORTED_TYPE, "label");
        assertThat(refused).hasMessageContaining("'M'");
    }

    @Test
    void refusesTenThousandEntries() {
        TarGzArchives builder = tar();
        for (int i = 0; i < 10_000; i++) {
            builder.file(String.format("f%05d", i), new byte[0]);
        }
        builder.writeTo(archive);

        ArchiveRefusedException refused = assertRefused(Reason.TOO_MANY_ENTRIES, "f01000");
        assertThat(refused).hasMessageContaining("more than 1000 entries");
    }

    @Test
    void refusesOneEntryMoreThanConfigured() {
        tar().file("a", "").file("b", "").file("c", "").writeTo(archive);

        assertRefused(Reason.TOO_MANY_ENTRIES, "c", new ExtractionLimits(2, 10));
    }

    @Test
    void refusesOneByteMoreThanConfigured() {
        tar().file("a", "12345").file("b", "678901").writeTo(archive);

        ArchiveRefusedException refused = assertRefused(Reason.TOO_LARGE, "b", new ExtractionLimits(10, 10));
        // Refused for its header, before its file was made.
        assertThat(refused).hasMessageContaining("its header declares 6 bytes; with the 5 bytes before it");
    }

    @Test
    void doesNotCountFileContentAsHeaders() throws IOException {
        // One entry allows 8 KiB + 1 MiB of headers; 2 MiB of content is not headers.
        tar().file("0.vhd", new byte[2 << 20]).writeTo(archive);

        ExtractedArchive result = TarGzExtractor.extractTarGz(archive, target, new ExtractionLimits(1, 4 << 20));

        assertThat(result.expandedBytes()).isEqualTo(2 << 20);
    }

    /** Pre-POSIX tars mark directories with a regular-file type (NUL or '0') and a trailing slash. */
    @ParameterizedTest
    @ValueSource(bytes = {TarConstants.LF_OLDNORM, TarConstants.LF_NORMAL})
    void extractsOldStyleDirectories(byte type) throws IOException {
        TarGzArchives.writeGzip(archive, TarGzArchives.rawTar(TarGzArchives.header(
                new TarArchiveEntry("old/", type)), new byte[0]));

        TarGzExtractor.extractTarGz(archive, target);

        assertThat(target.resolve("old")).isDirectory();
    }

    @Test
    void refusesAHeaderDeclaring100GibBeforeWritingAnything() throws IOException {
        // A base-256 size of 100 GiB, then 4 KiB of content and the archive ends: the declared
        // size alone refuses it; nothing near 100 GiB is read or written.
        byte[] tarBytes = new byte[TarGzArchives.RECORD + 4096];
        System.arraycopy(TarGzArchives.headerOnly("disk.vhd", 100 * GIB), 0, tarBytes, 0, TarGzArchives.RECORD);
        TarGzArchives.writeGzip(archive, tarBytes);
        assertThat(Files.size(archive)).isLessThan(1024);

        ArchiveRefusedException refused = assertRefused(Reason.TOO_LARGE, "disk.vhd");
        assertThat(refused).hasMessageContaining("declares " + 100 * GIB + " bytes");
    }

    @Test
    void refusesASparseEntryExpandingTo100Gib() throws IOException {
        // A star sparse file: 10 bytes stored, a real size of 100 GiB of which the rest would be
        // holes. (PAX GNU sparse sizes beyond 2^31 are refused as CORRUPT: Commons Compress 1.28
        // parses them as int; see refusesAGnuSparseSizeBeyondTwoGib.)
        tar().paxHeader("disk.vhd", "SCHILY.filetype", "sparse", "SCHILY.realsize", Long.toString(100 * GIB))
                .file("disk.vhd", "0123456789").writeTo(archive);
        assertThat(Files.size(archive)).isLessThan(1024);

        assertRefused(Reason.TOO_LARGE, "disk.vhd");
    }

    @Test
    void refusesAGnuSparseSizeBeyondTwoGib() throws IOException {
        tar().paxHeader("disk.vhd", "GNU.sparse.size", Long.toString(100 * GIB), "GNU.sparse.numblocks", "1",
                "GNU.sparse.map", "0,10").file("disk.vhd", "0123456789").writeTo(archive);

        assertRefused(Reason.CORRUPT, null);
    }

    @Test
    void extractsASparseEntryWithItsHoles() throws IOException {
        tar().paxHeader("sparse", "GNU.sparse.size", "4096", "GNU.sparse.numblocks", "1",
                "GNU.sparse.map", "1024,3,4096,0").file("sparse", "abc").writeTo(archive);

        ExtractedArchive result = TarGzExtractor.extractTarGz(archive, target);

        byte[] expected = new byte[4096];
        expected[1024] = 'a';
        expected[1025] = 'b';
        expected[1026] = 'c';
        assertThat(target.resolve("sparse")).hasBinaryContent(expected);
        assertThat(result.expandedBytes()).isEqualTo(4096);
    }

    @Test
    void refusesAFileThatDoesNotFitTheFileSystem() throws IOException {
        assumeThat(Files.getFileStore(out).getUsableSpace()).isLessThan(1024 * GIB);
        byte[] tarBytes = new byte[TarGzArchives.RECORD + 4096];
        System.arraycopy(TarGzArchives.headerOnly("disk.vhd", 1024 * GIB), 0, tarBytes, 0, TarGzArchives.RECORD);
        TarGzArchives.writeGzip(archive, tarBytes);

        assertThatThrownBy(() -> TarGzExtractor.extractTarGz(archive, target, ExtractionLimits.defaults()
                .withMaxExpandedBytes(2048 * GIB))).isInstanceOf(NotEnoughSpaceException.class)
                .hasMessageContaining("for image archive image.tgz");
        assertNoLeftovers();
    }

    @Test
    void refusesDuplicateFileNames() {
        tar().file("0.vhd", "first").file("./0.vhd", "second").writeTo(archive);

        assertRefused(Reason.DUPLICATE_ENTRY, "./0.vhd");
    }

    @Test
    void refusesDuplicateDirectories() {
        tar().directory("d").directory("./d/").writeTo(archive);

        assertRefused(Reason.DUPLICATE_ENTRY, "./d/");
    }

    @Test
    void refusesAnEntryBelowAFile() {
        tar().file("a", "x").file("a/b", "y").writeTo(archive);

        assertRefused(Reason.PATH_CONFLICT, "a/b");
    }

    @Test
    void refusesAFileWhereADirectoryIs() {
        tar().file("a/b", "y").file("a", "x").writeTo(archive);

        assertRefused(Reason.PATH_CONFLICT, "a");
    }

    @Test
    void refusesADirectoryWhereAFileIs() {
        tar().file("a", "x").directory("a").writeTo(archive);

        assertRefused(Reason.PATH_CONFLICT, "a/");
    }

    @Test
    void refusesAFileNamedLikeTheTargetItself() {
        tar().file(".", "x").writeTo(archive);

        assertRefused(Reason.PATH_CONFLICT, ".");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\u001b[31m.vhd", "a\nb", "bidi\u202etxt.vhd", "back\\slash", "a//b", "\u0000x"})
    void refusesNamesThatAreNotPlain(String name) {
        tar().file(name, "x").writeTo(archive);

        ArchiveRefusedException refused = assertRefused(Reason.NAME_NOT_PLAIN, null);
        assertThat(refused.getMessage()).doesNotContain("\u001b", "\n", "\u202e");
    }

    @Test
    void escapesAHostileNameInTheError() {
        tar().file("evil\u001b]0;owned\u0007", "x").writeTo(archive);

        ArchiveRefusedException refused = assertRefused(Reason.NAME_NOT_PLAIN, "evil\\x1b]0;owned\\x07");
        assertThat(refused).hasMessageContaining("evil\\x1b]0;owned\\x07");
    }

    @Test
    void refusesNamesThatAreTooLong() {
        gnuTar().file("n".repeat(2000), "x").writeTo(archive);

        assertRefused(Reason.NAME_NOT_PLAIN, null);
    }

    @Test
    void refusesAComponentLongerThanAFileSystemAllows() {
        tar().file("d/" + "c".repeat(256), "x").writeTo(archive);

        assertRefused(Reason.NAME_NOT_PLAIN, null);
    }

    @Test
    void refusesNamesNestedTooDeep() {
        tar().file("d/".repeat(EntryName.MAX_DEPTH) + "f", "x").writeTo(archive);

        assertRefused(Reason.NAME_NOT_PLAIN, null);
    }

    @Test
    void refusesHugeHeaders() {
        // A GNU long name of 10 MiB: compresses to kilobytes, and the reader would hold it whole.
        // Written by hand: the writer's name encoding is quadratic in the name's length.
        byte[] longName = "n".repeat(10 << 20).getBytes(StandardCharsets.US_ASCII);
        TarArchiveEntry longLink = new TarArchiveEntry(GNU_LONG_LINK, TarConstants.LF_GNUTYPE_LONGNAME);
        longLink.setSize(longName.length);
        tar().file("first", "content").entry(longLink, longName).file("short", "x").writeTo(archive);

        ArchiveRefusedException refused = assertRefused(Reason.HEADERS_TOO_LARGE, null);
        assertThat(refused.entry()).isEmpty();
        assertThat(refused).hasMessageContaining("more than " + ExtractionLimits.defaults().maxMetadataBytes()
                + " bytes of tar headers for its 1000 allowed entries");
    }

    @Test
    void refusesADirectoryEntryWithContent() {
        TarArchiveEntry directory = new TarArchiveEntry("d/", TarConstants.LF_DIR);
        directory.setSize(10);
        TarGzArchives.writeGzip(archive, TarGzArchives.rawTar(TarGzArchives.header(directory), new byte[10]));

        assertRefused(Reason.CORRUPT, "d/");
    }

    @Test
    void refusesAPlainTar() throws IOException {
        Files.write(archive, tar().file("0.vhd", "x").tarBytes());

        ArchiveRefusedException refused = assertRefused(Reason.NOT_GZIP, null);
        assertThat(refused.entry()).isEmpty();
        assertThat(refused.archive()).isEqualTo(archive);
    }

    @Test
    void refusesAnEmptyFile() throws IOException {
        Files.write(archive, new byte[0]);

        assertRefused(Reason.NOT_GZIP, null);
    }

    @Test
    void refusesGzipOfSomethingElse() {
        byte[] notTar = new byte[4096];
        Arrays.fill(notTar, (byte) 'x');
        TarGzArchives.writeGzip(archive, notTar);

        assertRefused(Reason.CORRUPT, null);
    }

    @Test
    void refusesAWrongHeaderChecksum() {
        byte[] tarBytes = tar().file("0.vhd", "x").tarBytes();
        tarBytes[0] = 'X'; // the name changes, the stored checksum does not
        TarGzArchives.writeGzip(archive, tarBytes);

        assertRefused(Reason.CORRUPT, "X.vhd");
    }

    @Test
    void refusesAWrongGzipCrc() throws IOException {
        tar().file("0.vhd", "content").writeTo(archive);
        byte[] gzip = Files.readAllBytes(archive);
        gzip[gzip.length - 8] ^= 0x01; // RFC 1952: CRC32, then ISIZE, end the member
        Files.write(archive, gzip);

        assertRefused(Reason.CORRUPT, null);
    }

    @Test
    void refusesCorruptCompressedData() throws IOException {
        tar().file("0.vhd", "content").writeTo(archive);
        byte[] gzip = Files.readAllBytes(archive);
        // Deflate block type 3 is reserved: the first block header becomes invalid.
        gzip[10] |= 0x06;
        Files.write(archive, gzip);

        assertRefused(Reason.CORRUPT, null);
    }

    @Test
    void refusesAnArchiveCutInAFile() throws IOException {
        byte[] content = new byte[200_000];
        new java.util.Random(15).nextBytes(content);
        tar().file("0.vhd", "x").file("1.vhd", content).writeTo(archive);
        byte[] gzip = Files.readAllBytes(archive);
        Files.write(archive, Arrays.copyOf(gzip, gzip.length / 2));

        assertRefused(Reason.TRUNCATED, "1.vhd");
    }

    @Test
    void refusesAnArchiveWithoutItsGzipTrailer() throws IOException {
        tar().file("0.vhd", "content").writeTo(archive);
        byte[] gzip = Files.readAllBytes(archive);
        Files.write(archive, Arrays.copyOf(gzip, gzip.length - 4));

        assertRefused(Reason.TRUNCATED, null);
    }

    @Test
    void refusesATarCutInsideCompleteGzip() {
        byte[] tarBytes = tar().file("0.vhd", "x").file("1.vhd", new byte[5000]).tarBytes();
        TarGzArchives.writeGzip(archive, Arrays.copyOf(tarBytes, 3 * TarGzArchives.RECORD));

        assertRefused(Reason.TRUNCATED, "1.vhd");
    }

    @Test
    void countsTheBytesActuallyCopied() throws IOException {
        Extraction extraction = new Extraction(archive, out, new ExtractionLimits(10, 100));
        Path file = out.resolve("f");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            assertThat(extraction.copyContent(new ByteArrayInputStream(new byte[60]), channel, file, 60)).isEqualTo(60);
            // A reader that delivers more than the header declared, or less.
            assertThatThrownBy(() -> extraction.copyContent(new ByteArrayInputStream(new byte[11]), channel, file, 10))
                    .isInstanceOfSatisfying(ArchiveRefusedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.SIZE_MISMATCH));
            assertThatThrownBy(() -> extraction.copyContent(new ByteArrayInputStream(new byte[9]), channel, file, 10))
                    .isInstanceOfSatisfying(ArchiveRefusedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.SIZE_MISMATCH));
            // More than the limit in total (70 + 40 > 100), whatever was declared.
            assertThatThrownBy(() -> extraction.copyContent(new ByteArrayInputStream(new byte[40]), channel, file, 40))
                    .isInstanceOfSatisfying(ArchiveRefusedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.TOO_LARGE));
        }
    }

    @Test
    void limitsMustBePositive() {
        assertThatThrownBy(() -> new ExtractionLimits(0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ExtractionLimits(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new ExtractionLimits(1, 1).maxEntries()).isOne();
        assertThat(new ExtractedArchive(temp, List.of(), 0, 0).files()).isEmpty();
        assertThatThrownBy(() -> new ExtractedArchive(temp, List.of(), -1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ExtractedArchive(temp, List.of(), 0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ExtractionLimits.defaults().withMaxEntries(5).withMaxExpandedBytes(7))
                .isEqualTo(new ExtractionLimits(5, 7));
        assertThat(ExtractionLimits.defaults().maxMetadataBytes()).isEqualTo(1000 * 8192L + (1 << 20));
    }

    private ArchiveRefusedException assertRefused(Reason reason, String entry) {
        return assertRefused(reason, entry, ExtractionLimits.defaults());
    }

    /** Asserts the refusal, its reason and entry (null: not checked), and that nothing was left. */
    private ArchiveRefusedException assertRefused(Reason reason, String entry, ExtractionLimits limits) {
        ArchiveRefusedException[] caught = new ArchiveRefusedException[1];
        assertThatThrownBy(() -> TarGzExtractor.extractTarGz(archive, target, limits))
                .isInstanceOfSatisfying(ArchiveRefusedException.class, e -> caught[0] = e);
        ArchiveRefusedException refused = caught[0];
        assertThat(refused.reason()).as(refused.getMessage()).isEqualTo(reason);
        if (entry != null) {
            assertThat(refused.entry()).contains(entry);
        }
        assertThat(refused).hasMessageContaining(archive.toString()).hasMessageEndingWith("nothing was extracted");
        assertNoLeftovers();
        return refused;
    }

    private void assertNoLeftovers() {
        assertThat(target).doesNotExist();
        assertThat(out).isEmptyDirectory();
        try (Stream<Path> inputs = Files.list(archive.getParent())) {
            assertThat(inputs).containsExactly(archive);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(List.of(temp.toFile().list())).containsExactlyInAnyOrder("in", "out");
    }
}
