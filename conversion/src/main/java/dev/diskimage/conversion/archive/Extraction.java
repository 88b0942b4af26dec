package dev.diskimage.conversion.archive;

import dev.diskimage.conversion.archive.ArchiveRefusedException.Reason;
import dev.diskimage.core.ImageIoException;
import dev.diskimage.core.SpaceCheck;
import dev.diskimage.core.UntrustedText;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One run of {@link TarGzExtractor}: reads a gzipped tar and writes its regular files and
 * directories below a staging directory, refusing the archive at the first entry that breaks a
 * rule. It never deletes: on a refusal the caller removes the staging directory as a whole.
 *
 * <p>Reading errors (the archive's) become {@link ArchiveRefusedException}; writing errors (the
 * file system's) become {@link ImageIoException} or core's {@code NotEnoughSpaceException}.
 */
final class Extraction {

    private static final Logger LOG = LoggerFactory.getLogger(Extraction.class);

    /** Size of one read from the archive and one write to a file. */
    static final int COPY_BUFFER_BYTES = 64 << 10;

    /** RFC 1952: a gzip member starts with ID1 ID2 = 0x1f 0x8b. */
    private static final int GZIP_MAGIC_LENGTH = 2;

    /** Entry names are read as UTF-8 whatever the platform's default charset is. */
    private static final String NAME_ENCODING = "UTF-8";


    private static final String POSIX_VIEW = "posix";
    private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");

    private final Path archive;
    private final Path staging;
    private final ExtractionLimits limits;
    private final boolean posix;

    private final Set<EntryName> files = new HashSet<>();
    private final Set<EntryName> listedDirectories = new HashSet<>();
    private final Set<EntryName> createdDirectories = new HashSet<>();
    private final List<Path> written = new ArrayList<>();
    private int entries;
    private long expandedBytes;
    /** The raw name of the entry being extracted, for errors; null between entries. */
    private String currentEntry;

    Extraction(Path archive, Path staging, ExtractionLimits limits) {
        this.archive = archive;
        this.staging = staging;
        this.limits = limits;
        this.posix = staging.getFileSystem().supportedFileAttributeViews().contains(POSIX_VIEW);
    }

    /**
     * Extracts the whole archive into the staging directory and makes what was written durable.
     *
     * @return the regular files written, relative to the staging directory, in archive order
     */
    List<Path> run() {
        InputStream file;
        try {
            file = Files.newInputStream(archive);
        } catch (IOException e) {
            throw new ImageIoException("cannot read archive", archive, e);
        }
        try (InputStream raw = new BufferedInputStream(file, COPY_BUFFER_BYTES)) {
            requireGzip(raw);
            read(raw);
        } catch (IOException closeFailure) {
            // Only closing can fail here: reading errors were turned into refusals.
            LOG.debug("could not close archive {}: {}", archive, closeFailure.getMessage());
        }
        syncDirectories();
        return List.copyOf(written);
    }

    /** How many entries the archive held. */
    int entries() {
        return entries;
    }

    /** The bytes written to regular files together. */
    long expandedBytes() {
        return expandedBytes;
    }

    /** Reads the gzip stream and the tar inside it, entry by entry; read errors refuse the archive. */
    private void read(InputStream raw) {
        ArchiveStream stream = null;
        // Closing the gzip stream releases its native inflater now, not when the GC gets to it.
        try (GzipCompressorInputStream gzip = GzipCompressorInputStream.builder().setInputStream(raw)
                .setDecompressConcatenated(true).get()) {
            stream = new ArchiveStream(gzip, limits.maxMetadataBytes());
            TarArchiveInputStream tar = new TarArchiveInputStream(stream, NAME_ENCODING);
            for (TarArchiveEntry entry = tar.getNextEntry(); entry != null; entry = tar.getNextEntry()) {
                extract(tar, stream, entry);
                currentEntry = null;
            }
            // Read to the gzip trailer, so that its CRC and length are checked (the tar reader
            // stops at the end-of-archive records).
            stream.skip(Long.MAX_VALUE);
        } catch (IOException e) {
            throw refusedByReader(e, stream);
        }
    }

    private void requireGzip(InputStream raw) {
        byte[] magic;
        try {
            raw.mark(GZIP_MAGIC_LENGTH);
            magic = raw.readNBytes(GZIP_MAGIC_LENGTH);
            raw.reset();
        } catch (IOException e) {
            throw new ImageIoException("cannot read archive", archive, e);
        }
        if (!GzipCompressorInputStream.matches(magic, magic.length)) {
            throw refuse(Reason.NOT_GZIP, "it is not gzip-compressed (no gzip magic bytes)", null);
        }
    }

    private void extract(TarArchiveInputStream tar, ArchiveStream stream, TarArchiveEntry entry) throws IOException {
        entries++;
        currentEntry = entry.getName();
        if (entries > limits.maxEntries()) {
            throw refuse(Reason.TOO_MANY_ENTRIES, "the archive has more than " + limits.maxEntries() + " entries", null);
        }
        if (!entry.isCheckSumOK()) {
            throw refuse(Reason.CORRUPT, "its tar header checksum is wrong", null);
        }
        EntryName name = EntryName.check(currentEntry, (reason, detail) -> refuse(reason, detail, null));
        byte type = entry.getLinkFlag();
        if (entry.isSymbolicLink()) {
            throw refuse(Reason.SYMBOLIC_LINK, "it is a symbolic link; only regular files and directories are extracted", null);
        } else if (entry.isLink()) {
            throw refuse(Reason.HARD_LINK, "it is a hard link; only regular files and directories are extracted", null);
        } else if (entry.isCharacterDevice() || entry.isBlockDevice()) {
            throw refuse(Reason.DEVICE, "it is a device; only regular files and directories are extracted", null);
        } else if (entry.isFIFO()) {
            throw refuse(Reason.FIFO, "it is a FIFO; only regular files and directories are extracted", null);
        } else if (isDirectory(entry, type)) {
            extractDirectory(name, entry.getSize());
        } else if (isRegularFile(type)) {
            extractFile(tar, stream, name, entry.getRealSize());
        } else {
            throw refuse(Reason.UNSUPPORTED_TYPE, "its tar type is " + describeType(type)
                    + "; only regular files and directories are extracted", null);
        }
    }

    private static boolean isDirectory(TarArchiveEntry entry, byte type) {
        // Old tars mark directories with a regular-file type and a trailing slash.
        return type == TarConstants.LF_DIR
                || entry.isDirectory() && (type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM);
    }

    private static boolean isRegularFile(byte type) {
        // LF_CONTIG (contiguous file) is a regular file to every reader; old GNU sparse files
        // are regular files whose holes the reader fills with zeros.
        return type == TarConstants.LF_NORMAL || type == TarConstants.LF_OLDNORM || type == TarConstants.LF_CONTIG
                || type == TarConstants.LF_GNUTYPE_SPARSE;
    }

    private static String describeType(byte type) {
        return type >= 0x20 && type < 0x7f ? "'" + (char) type + "'" : String.format(Locale.ROOT, "0x%02x", type);
    }

    private void extractDirectory(EntryName name, long size) {
        if (size != 0) {
            throw refuse(Reason.CORRUPT, "a directory entry carries " + size + " bytes of data", null);
        }
        if (name.isRoot()) {
            return;
        }
        if (files.contains(name)) {
            throw refuse(Reason.PATH_CONFLICT, "a file of the same name came before it", null);
        }
        if (!listedDirectories.add(name)) {
            throw refuse(Reason.DUPLICATE_ENTRY, "the archive lists this directory twice", null);
        }
        ensureDirectory(name);
    }

    private void extractFile(TarArchiveInputStream tar, ArchiveStream stream, EntryName name, long declared)
            throws IOException {
        if (name.isRoot()) {
            throw refuse(Reason.PATH_CONFLICT, "a file entry names the target directory itself", null);
        }
        if (files.contains(name)) {
            throw refuse(Reason.DUPLICATE_ENTRY, "the archive lists this file twice", null);
        }
        if (createdDirectories.contains(name)) {
            throw refuse(Reason.PATH_CONFLICT, "a directory of the same name came before it", null);
        }
        long remaining = limits.maxExpandedBytes() - expandedBytes;
        if (declared > remaining) {
            throw refuse(Reason.TOO_LARGE, "its header declares " + declared + " bytes; with the " + expandedBytes
                    + " bytes before it the archive expands to more than the limit of " + limits.maxExpandedBytes()
                    + " bytes", null);
        }
        ensureDirectory(name.parent());
        Path path = staging.resolve(name.toString());
        if (declared > 0) {
            SpaceCheck.checkAvailableSpace(path, declared, label());
        }
        files.add(name);
        FileChannel out = create(path);
        boolean copied = false;
        try {
            stream.readingContent(true);
            try {
                copyContent(tar, out, path, declared);
            } finally {
                stream.readingContent(false);
            }
            sync(out, path);
            copied = true;
        } finally {
            close(out, path, copied);
        }
        written.add(Path.of(name.toString()));
        LOG.debug("extracted {} ({} bytes) from {}", UntrustedText.sanitize(currentEntry), declared, archive);
    }

    /**
     * Copies one entry's content to {@code out}, counting the bytes as they are written: more or
     * fewer than {@code declared}, or more than the expanded-size limit, refuse the archive even
     * when the header claimed otherwise (the declared size was checked before the file was made;
     * this catches a reader that delivers something else).
     *
     * @return the bytes copied, equal to {@code declared}
     * @throws IOException if reading the archive fails
     */
    long copyContent(InputStream content, FileChannel out, Path path, long declared) throws IOException {
        byte[] buffer = new byte[COPY_BUFFER_BYTES];
        long copied = 0;
        for (int read = content.read(buffer); read >= 0; read = content.read(buffer)) {
            copied += read;
            if (copied > declared) {
                throw refuse(Reason.SIZE_MISMATCH, "its content is longer than the " + declared
                        + " bytes its header declares", null);
            }
            expandedBytes += read;
            if (expandedBytes > limits.maxExpandedBytes()) {
                throw refuse(Reason.TOO_LARGE, "the archive expands to more than the limit of "
                        + limits.maxExpandedBytes() + " bytes", null);
            }
            write(out, ByteBuffer.wrap(buffer, 0, read), path, declared - copied + read);
        }
        if (copied != declared) {
            throw refuse(Reason.SIZE_MISMATCH, "its content has " + copied + " bytes, its header declares "
                    + declared, null);
        }
        return copied;
    }

    /** Writes all of {@code bytes}; a full disk names the bytes this file still needed. */
    private static void write(FileChannel out, ByteBuffer bytes, Path path, long stillNeeded) {
        try {
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            if (SpaceCheck.isOutOfSpace(e)) {
                // Names below the staging directory passed EntryName.check: they are plain text.
                throw SpaceCheck.outOfSpace(path, stillNeeded, "extracted file " + path.getFileName());
            }
            throw writeFailure(path, e);
        }
    }

    /** Closes a written file; a failure matters only when the copy itself succeeded. */
    private static void close(FileChannel out, Path path, boolean raise) {
        try {
            out.close();
        } catch (IOException e) {
            if (raise) {
                throw writeFailure(path, e);
            }
            LOG.debug("could not close {} after a failed extraction: {}", path, e.getMessage());
        }
    }

    private FileChannel create(Path path) {
        try {
            return posix
                    ? FileChannel.open(path, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(FILE_MODE))
                    : FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                            LinkOption.NOFOLLOW_LINKS);
        } catch (FileAlreadyExistsException e) {
            // Only this extraction writes in the staging directory, and it checked the name.
            throw new ImageIoException("another process wrote into the extraction directory at", path, e);
        } catch (IOException e) {
            throw writeFailure(path, e);
        }
    }

    private static void sync(FileChannel out, Path path) {
        try {
            out.force(true);
        } catch (IOException e) {
            throw writeFailure(path, e);
        }
    }

    /** Creates {@code directory} and its missing parents (0700), refusing a path through a file. */
    private void ensureDirectory(EntryName directory) {
        List<String> components = directory.components();
        for (int depth = 1; depth <= components.size(); depth++) {
            EntryName prefix = new EntryName(components.subList(0, depth));
            if (files.contains(prefix)) {
                throw refuse(Reason.PATH_CONFLICT, "it lies below '" + UntrustedText.sanitize(prefix.toString())
                        + "', which the archive lists as a file", null);
            }
            if (createdDirectories.add(prefix)) {
                Path path = staging.resolve(prefix.toString());
                try {
                    FileAttribute<?>[] mode = posix
                            ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(DIRECTORY_MODE)}
                            : new FileAttribute<?>[0];
                    Files.createDirectory(path, mode);
                } catch (IOException e) {
                    throw writeFailure(path, e);
                }
            }
        }
    }

    /** fsync of every directory made, so that the names survive a crash once moved into place. */
    private void syncDirectories() {
        List<Path> directories = new ArrayList<>();
        directories.add(staging);
        createdDirectories.forEach(name -> directories.add(staging.resolve(name.toString())));
        for (Path directory : directories) {
            try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
                channel.force(true);
            } catch (IOException e) {
                throw writeFailure(directory, e);
            }
        }
    }

    private ArchiveRefusedException refusedByReader(IOException e, ArchiveStream stream) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ArchiveStream.MetadataLimitException limit) {
                return refuse(Reason.HEADERS_TOO_LARGE, "the archive has more than " + limit.limit()
                        + " bytes of tar headers for its " + limits.maxEntries() + " allowed entries", e);
            }
            if (cause instanceof EOFException) {
                return refuse(Reason.TRUNCATED, "the archive ends early", e);
            }
        }
        if (stream != null && stream.ended()) {
            return refuse(Reason.TRUNCATED, "the archive ends early", e);
        }
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return refuse(Reason.CORRUPT, "the archive is damaged: " + UntrustedText.sanitize(message, 200), e);
    }

    private ArchiveRefusedException refuse(Reason reason, String detail, Throwable cause) {
        return new ArchiveRefusedException(archive, currentEntry, reason, detail, cause);
    }

    private String label() {
        return "archive " + UntrustedText.sanitize(String.valueOf(archive.getFileName()));
    }

    private static ImageIoException writeFailure(Path path, IOException e) {
        return new ImageIoException("could not write the extracted", path, e);
    }
}
