package dev.diskimage.conversion.archive;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Feeds arbitrary bytes, gzipped, to {@link TarGzExtractor} as a tar archive: it must extract only
 * regular files and directories below the target within the limits, or refuse with an
 * {@link ArchiveRefusedException} and leave nothing; no other exception, no link, no leftover. A
 * normal test run replays the seed corpus in {@code TarGzExtractorFuzzTestInputs/extractsOrRefuses}
 * (tars written by GNU tar in gnu, pax and ustar format: nested directories, a symbolic link, a
 * sparse file, a long name).
 */
class TarGzExtractorFuzzTest {

    private static final ExtractionLimits LIMITS = new ExtractionLimits(64, 1 << 20);

    @FuzzTest(maxDuration = "10s")
    void extractsOrRefuses(byte[] tar) throws IOException {
        Path work = Files.createTempDirectory("tar-fuzz");
        try {
            Path archive = TarGzArchives.writeGzip(work.resolve("fuzz.tgz"), tar);
            Path out = Files.createDirectory(work.resolve("out"));
            Path target = out.resolve("target");
            try {
                ExtractedArchive result = TarGzExtractor.extractTarGz(archive, target, LIMITS);
                assertThat(result.entries()).isLessThanOrEqualTo(LIMITS.maxEntries());
                assertThat(result.expandedBytes()).isLessThanOrEqualTo(LIMITS.maxExpandedBytes());
                try (Stream<Path> tree = Files.walk(target)) {
                    for (Path path : tree.toList()) {
                        assertThat(path.normalize()).startsWith(target);
                        assertThat(Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)
                                || Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)).as(path.toString()).isTrue();
                    }
                }
                assertThat(result.files()).allSatisfy(file -> assertThat(file).isRegularFile());
            } catch (ArchiveRefusedException refused) {
                assertThat(out).isEmptyDirectory();
            }
        } finally {
            deleteTree(work);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        List<Path> paths;
        try (Stream<Path> tree = Files.walk(root)) {
            paths = tree.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path path : paths) {
            Files.delete(path);
        }
    }
}
