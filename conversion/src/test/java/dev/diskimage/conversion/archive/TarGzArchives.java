package dev.diskimage.conversion.archive;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.archivers.zip.ZipEncodingHelper;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * Builds tar archives in memory for the tests, with Commons Compress's writer: ordinary entries,
 * the special types extraction refuses, and raw header bytes for archives no honest writer makes.
 */
final class TarGzArchives {

    static final int RECORD = 512;
    private static final FileTime MODIFIED = FileTime.from(Instant.ofEpochSecond(1_700_000_000L));

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream tar;

    private TarGzArchives(int longFileMode) {
        tar = new TarArchiveOutputStream(bytes, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(longFileMode);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    /** A builder writing long names as PAX records. */
    static TarGzArchives tar() {
        return new TarGzArchives(TarArchiveOutputStream.LONGFILE_POSIX);
    }

    /** A builder writing long names as GNU long-name entries. */
    static TarGzArchives gnuTar() {
        return new TarGzArchives(TarArchiveOutputStream.LONGFILE_GNU);
    }

    TarGzArchives file(String name, String content) {
        return file(name, content.getBytes(StandardCharsets.UTF_8));
    }

    TarGzArchives file(String name, byte[] content) {
        TarArchiveEntry entry = new TarArchiveEntry(name, true);
        entry.setSize(content.length);
        return entry(entry, content);
    }

    TarGzArchives directory(String name) {
        return entry(new TarArchiveEntry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, true), new byte[0]);
    }

    TarGzArchives special(String name, byte type) {
        TarArchiveEntry entry = new TarArchiveEntry(name, type, true);
        if (type == TarConstants.LF_SYMLINK || type == TarConstants.LF_LINK) {
            entry.setLinkName("/etc/passwd");
        }
        return entry(entry, new byte[0]);
    }

    TarGzArchives entry(TarArchiveEntry entry, byte[] content) {
        // Whole seconds: a time with a fraction makes the writer add a PAX header to every entry.
        entry.setLastModifiedTime(MODIFIED);
        try {
            tar.putArchiveEntry(entry);
            tar.write(content);
            tar.closeArchiveEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** A PAX extended header for the next entry, with the given records. */
    TarGzArchives paxHeader(String name, String... keysAndValues) {
        StringBuilder records = new StringBuilder();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            records.append(paxRecord(keysAndValues[i], keysAndValues[i + 1]));
        }
        byte[] content = records.toString().getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry header = new TarArchiveEntry("./PaxHeaders/" + name, TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
        header.setSize(content.length);
        return entry(header, content);
    }

    /** The finished tar. */
    byte[] tarBytes() {
        try {
            tar.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The finished tar, gzipped, written to {@code file}. */
    Path writeTo(Path file) {
        return writeGzip(file, tarBytes());
    }

    static Path writeGzip(Path file, byte[] content) {
        try {
            Files.write(file, gzip(content));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    static byte[] gzip(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream gzip = new GzipCompressorOutputStream(out)) {
            gzip.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * One raw tar header for a regular file, with the size written as a base-256 number (GNU and
     * star do this for sizes beyond 8 GiB), followed by nothing else: a header that promises
     * content the archive does not have.
     */
    static byte[] headerOnly(String name, long size) {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(size);
        return header(entry);
    }

    /** A tar of one raw header and its content, padded to whole records, with the end-of-archive records. */
    static byte[] rawTar(byte[] header, byte[] content) {
        int padded = (content.length + RECORD - 1) / RECORD * RECORD;
        byte[] tar = new byte[RECORD + padded + 2 * RECORD];
        System.arraycopy(header, 0, tar, 0, RECORD);
        System.arraycopy(content, 0, tar, RECORD, content.length);
        return tar;
    }

    /** One raw header for {@code entry}, numbers too large for octal written in base 256. */
    static byte[] header(TarArchiveEntry entry) {
        byte[] header = new byte[RECORD];
        try {
            entry.writeEntryHeader(header, ZipEncodingHelper.getZipEncoding(StandardCharsets.UTF_8.name()), true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return header;
    }

    /** A PAX record: "LENGTH key=value\n", where LENGTH counts the whole record including itself. */
    static String paxRecord(String key, String value) {
        int body = key.length() + value.length() + 3; // ' ', '=', '\n'
        int length = body + String.valueOf(body).length();
        if (String.valueOf(length).length() != String.valueOf(body).length()) {
            length++;
        }
        return length + " " + key + "=" + value + "\n";
    }
}
