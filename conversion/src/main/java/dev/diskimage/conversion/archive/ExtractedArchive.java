package dev.diskimage.conversion.archive;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What {@link TarGzExtractor} unpacked, once it is in place.
 *
 * @param directory the target directory that now holds the content, absolute
 * @param files the regular files extracted, absolute paths below {@code directory}, in archive
 *     order
 * @param entries how many entries the archive held (files and directories)
 * @param expandedBytes the bytes written to the regular files together
 */
public record ExtractedArchive(Path directory, List<Path> files, int entries, long expandedBytes) {

    /**
     * Copies the file list and checks the components.
     *
     * @param directory the target directory
     * @param files the regular files extracted
     * @param entries the number of entries
     * @param expandedBytes the bytes written
     * @throws NullPointerException if {@code directory} or {@code files} is null
     * @throws IllegalArgumentException if a count is negative
     */
    public ExtractedArchive {
        Objects.requireNonNull(directory, "directory");
        files = List.copyOf(files);
        if (entries < 0 || expandedBytes < 0) {
            throw new IllegalArgumentException("counts must not be negative: " + entries + ", " + expandedBytes);
        }
    }
}
