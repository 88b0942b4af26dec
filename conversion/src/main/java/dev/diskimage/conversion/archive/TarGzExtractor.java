package dev.diskimage.conversion.archive;

import dev.diskimage.core.ImageConversionDirectory;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.TemporaryDirectory;
import dev.diskimage.core.UntrustedText;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extracts a gzipped tar archive without trusting it: Cinder's {@code extract_targz}, which runs
 * {@code tar -xzf ARCHIVE -C TARGET}, made safe for archives that come from users (XenServer
 * images are such archives, see {@link XenServerImages}).
 *
 * <p>Only regular files and directories are written. The archive is refused, with an
 * {@link ArchiveRefusedException} naming it, the entry and the {@link ArchiveRefusedException.Reason
 * reason}, when an entry
 * <ul>
 *   <li>has an absolute name, a {@code ..} component, or a name that leads outside the target
 *       once resolved, or a name that is not plain text (control characters, backslashes,
 *       undecodable bytes, more than 1,024 characters, a component longer than 255 bytes, more
 *       than 64 levels);</li>
 *   <li>is a symbolic or hard link, a device, a FIFO or any other special type;</li>
 *   <li>repeats an earlier name, or puts a file where a directory is (or the reverse);</li>
 *   <li>would pass {@link ExtractionLimits#maxEntries()} or
 *       {@link ExtractionLimits#maxExpandedBytes()}: the size each header declares is checked
 *       before its file is created (so a header declaring 100 GiB is refused before a byte is
 *       written), and the bytes actually written are counted as well;</li>
 * </ul>
 * and when the file is not gzip, or the gzip or tar data is damaged or cut short. Before each file
 * is written, the free space of the file system is checked against its declared size (core's
 * {@code SpaceCheck}).
 *
 * <p><b>No partial output.</b> Everything is extracted into a fresh staging directory beside the
 * target ({@code diskimage.extract.<random>}, 0700), which is renamed onto the target in one step
 * when the whole archive was read; on any failure it is deleted with everything in it (never
 * following links). Files are created 0600 and directories 0700 whatever modes the archive
 * records, so nothing extracted is executable, setuid or readable by others; owners and times in
 * the archive are ignored. Written files and directories are fsynced before the rename, and the
 * parent after it. After a SIGKILL, a staging directory can stay behind:
 * {@code ImageConversionDirectory.of(parent).cleanupTemporaryFiles(}{@value #STAGING_BACKEND}{@code )}
 * removes it.
 *
 * <p>What Commons Compress's tar reader decides for us: PAX {@code path} and GNU long names that
 * start with {@code /} arrive with the slash removed (so they land inside the target, never
 * outside); sparse entries are expanded (holes written as zeros, counted against the limit). An
 * archive whose gzip data is complete but whose tar data stops exactly at an entry boundary,
 * without the end-of-archive records, reads as a shorter archive, as with GNU tar.
 */
public final class TarGzExtractor {

    /**
     * The token in the staging directories' names ({@code diskimage.extract.<random>}), for
     * {@link ImageConversionDirectory#cleanupTemporaryFiles(String)} after a crash.
     */
    public static final String STAGING_BACKEND = "extract";

    private static final Logger LOG = LoggerFactory.getLogger(TarGzExtractor.class);

    private TarGzExtractor() {
    }

    /**
     * {@link #extractTarGz(Path, Path, ExtractionLimits)} with {@link ExtractionLimits#defaults()}.
     *
     * @param archive the gzipped tar archive
     * @param targetDir the directory to create with the archive's content; it must not exist, or
     *     be an empty directory, and its parent must exist
     * @return what was extracted
     * @throws ArchiveRefusedException if the archive is refused; nothing was extracted
     * @throws dev.diskimage.core.NotEnoughSpaceException if a file does not fit on the target's
     *     file system; nothing was extracted
     * @throws ImageIoException if the archive cannot be read, the target exists and is not an
     *     empty directory, or writing fails; nothing was extracted
     */
    public static ExtractedArchive extractTarGz(Path archive, Path targetDir) {
        return extractTarGz(archive, targetDir, ExtractionLimits.defaults());
    }

    /**
     * Extracts {@code archive} into {@code targetDir}: afterwards {@code targetDir} holds every
     * regular file and directory of the archive, or, when anything fails, it is as before (absent,
     * or the empty directory it was) and nothing of the archive is left beside it.
     *
     * @param archive the gzipped tar archive
     * @param targetDir the directory to create with the archive's content; it must not exist, or
     *     be an empty directory (which is replaced, taking mode 0700), and its parent must exist
     * @param limits the most entries and expanded bytes accepted
     * @return what was extracted: the target, its regular files, the entry count and bytes
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code targetDir} is a file system root
     * @throws ArchiveRefusedException if the archive is refused (see the class description for
     *     the rules); nothing was extracted
     * @throws dev.diskimage.core.NotEnoughSpaceException if a file does not fit on the target's
     *     file system; nothing was extracted
     * @throws ImageIoException if the archive cannot be read, the target exists and is not an
     *     empty directory, its parent does not exist, or writing fails; nothing was extracted
     */
    public static ExtractedArchive extractTarGz(Path archive, Path targetDir, ExtractionLimits limits) {
        Objects.requireNonNull(archive, "archive");
        Objects.requireNonNull(limits, "limits");
        Path target = Objects.requireNonNull(targetDir, "targetDir").toAbsolutePath().normalize();
        Path parent = target.getParent();
        if (parent == null) {
            throw new IllegalArgumentException("cannot extract onto a file system root: " + target);
        }
        if (!Files.isDirectory(parent)) {
            throw new ImageIoException("cannot extract into", target, new NoSuchFileException(parent.toString(),
                    null, "its parent directory does not exist"));
        }
        requireAbsentOrEmpty(target);
        try (TemporaryDirectory staging = ImageConversionDirectory.of(parent).forBackend(STAGING_BACKEND)
                .temporaryDirectory()) {
            Extraction extraction = new Extraction(archive, staging.path(), limits);
            List<Path> files = extraction.run();
            moveIntoPlace(staging.path(), target);
            LOG.info("extracted {} entries ({} bytes) from {} into {}", extraction.entries(),
                    extraction.expandedBytes(), UntrustedText.sanitize(archive.toString()), target);
            return new ExtractedArchive(target, files.stream().map(target::resolve).toList(), extraction.entries(),
                    extraction.expandedBytes());
        }
    }

    private static void requireAbsentOrEmpty(Path target) {
        if (Files.notExists(target, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            try (DirectoryStream<Path> content = Files.newDirectoryStream(target)) {
                if (!content.iterator().hasNext()) {
                    return;
                }
            } catch (IOException e) {
                throw new ImageIoException("cannot extract into", target, e);
            }
        }
        throw new ImageIoException("cannot extract into", target, new FileAlreadyExistsException(target.toString(),
                null, "it exists and is not an empty directory"));
    }

    /**
     * Renames the staging directory onto the target (rename(2) replaces an empty directory
     * atomically) and makes the rename durable.
     */
    private static void moveIntoPlace(Path staging, Path target) {
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new ImageIoException("could not move the extracted archive into place at", target, e);
        }
        try (FileChannel directory = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException e) {
            // The content is complete and in place; only its durability across a crash is unsure.
            LOG.warn("could not sync directory {} after extracting into it: {}", target.getParent(), e.getMessage());
        }
    }
}
