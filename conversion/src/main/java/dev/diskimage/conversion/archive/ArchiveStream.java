package dev.diskimage.conversion.archive;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.io.IOUtils;

/**
 * The decompressed tar stream as the tar reader sees it: counts what passes, apart from entry
 * content, and stops the reader once that metadata exceeds its limit; remembers whether the
 * decompressed data ended. The tar reader holds some metadata whole (a GNU long name, a PAX
 * record), so without this bound a small archive of one huge header could exhaust the heap,
 * and the expanded-size limit, which counts file content only, would not notice.
 */
final class ArchiveStream extends FilterInputStream {

    private final long maxMetadataBytes;
    private long metadataBytes;
    private boolean readingContent;
    private boolean ended;

    ArchiveStream(InputStream decompressed, long maxMetadataBytes) {
        super(decompressed);
        this.maxMetadataBytes = maxMetadataBytes;
    }

    /**
     * Marks the reads that follow as entry content (counted by the caller against the expanded
     * size), or, with {@code false}, as metadata again.
     */
    void readingContent(boolean content) {
        readingContent = content;
    }

    /** Whether the decompressed stream has reported its end. */
    boolean ended() {
        return ended;
    }

    @Override
    public int read() throws IOException {
        int value = in.read();
        count(value < 0 ? -1 : 1);
        return value;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int read = in.read(buffer, offset, length);
        count(read);
        return read;
    }

    /** Skips by reading, so that skipped bytes are counted and a truncated stream is noticed. */
    @Override
    public long skip(long count) throws IOException {
        return count <= 0 ? 0 : IOUtils.skip(this, count);
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void count(int read) throws MetadataLimitException {
        if (read < 0) {
            ended = true;
        } else if (!readingContent) {
            metadataBytes += read;
            if (metadataBytes > maxMetadataBytes) {
                throw new MetadataLimitException(maxMetadataBytes);
            }
        }
    }

    /**
     * The metadata limit was passed. An {@link IOException}, so that it travels through the tar
     * reader like any read error; the extraction recognises it among the causes.
     */
    static final class MetadataLimitException extends IOException {
        private static final long serialVersionUID = 1L;

        private final long limit;

        MetadataLimitException(long limit) {
            super("more than " + limit + " bytes of tar headers");
            this.limit = limit;
        }

        long limit() {
            return limit;
        }
    }
}
