package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordFilesTest {
    @TempDir
    Path dir;

    private Optional<byte[]> read(Path file, int max) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return RecordFiles.readBounded(channel, max);
        }
    }

    @Test
    void readsAFileUpToTheCapAndRefusesOneByteMore() throws IOException {
        Path file = dir.resolve("r.json");
        Files.write(file, new byte[100]);

        assertThat(read(file, 100)).hasValueSatisfying(content -> assertThat(content).hasSize(100));
        assertThat(read(file, 99)).isEmpty();
        Files.write(file, new byte[0]);
        assertThat(read(file, 0)).hasValueSatisfying(content -> assertThat(content).isEmpty());
        assertThatThrownBy(() -> read(file, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> read(file, Integer.MAX_VALUE)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void replaceWritesANewFileOrReplacesTheOldOneAndLeavesNoTemporary() throws IOException {
        Path target = dir.resolve("r.json");
        RecordFiles.replace(dir.resolve(".r.json.tmp1"), target, "one".getBytes(StandardCharsets.UTF_8));
        assertThat(target).hasContent("one");
        RecordFiles.replace(dir.resolve(".r.json.tmp2"), target, "two".getBytes(StandardCharsets.UTF_8));
        assertThat(target).hasContent("two");
        assertThat(names()).containsExactly("r.json");
    }

    @Test
    void aFailedReplaceRemovesItsTemporaryAndKeepsTheOldRecord() throws IOException {
        Path directoryTarget = dir.resolve("taken");
        Files.createDirectories(directoryTarget.resolve("inside"));
        Path temporary = dir.resolve(".taken.tmp");

        assertThatThrownBy(() -> RecordFiles.replace(temporary, directoryTarget, new byte[] {1}))
                .isInstanceOf(IOException.class);
        assertThat(temporary).doesNotExist();
        assertThat(directoryTarget.resolve("inside")).isDirectory();
    }

    @Test
    void anExistingTemporaryIsNeverWrittenThrough() throws IOException {
        Path temporary = dir.resolve(".r.json.tmp");
        Files.writeString(temporary, "someone else's");

        assertThatThrownBy(() -> RecordFiles.replace(temporary, dir.resolve("r.json"), new byte[] {1}))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(dir.resolve("r.json")).doesNotExist();
        assertThat(temporary).hasContent("someone else's");
    }

    private java.util.List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
