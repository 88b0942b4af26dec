package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrphanedFilesTest {
    private static final Pattern NAME = Pattern.compile("^tmp-(\\d{1,19})-[a-z]+$");

    @TempDir
    Path dir;

    /** The pid of a process that has ended (and, within a test's time, is not reused). */
    static long deadPid() throws IOException, InterruptedException {
        Process process = new ProcessBuilder("true").start();
        process.waitFor();
        return process.pid();
    }

    @Test
    void theOwnerTagIsThisJvmsPid() {
        assertThat(OrphanedFiles.ownerTag()).isEqualTo(Long.toString(ProcessHandle.current().pid()));
    }

    @Test
    void readsThePidOfMatchingNamesOnly() {
        assertThat(OrphanedFiles.owner("tmp-123-abc", NAME)).contains(123L);
        assertThat(OrphanedFiles.owner("tmp-123-ABC", NAME)).isEmpty();
        assertThat(OrphanedFiles.owner("xtmp-123-abc", NAME)).isEmpty();
        assertThat(OrphanedFiles.owner("tmp-9999999999999999999-abc", NAME)).as("beyond a long").isEmpty();
    }

    @Test
    void removesWhatADeadProcessLeftAndKeepsWhatALiveOneOwns() throws Exception {
        Path dead = Files.createFile(dir.resolve("tmp-" + deadPid() + "-a"));
        Path live = Files.createFile(dir.resolve("tmp-" + OrphanedFiles.ownerTag() + "-b"));
        Path other = Files.createFile(dir.resolve("unrelated-" + deadPid() + "-c"));
        List<Path> seen = new ArrayList<>();

        List<Path> removed = OrphanedFiles.remove(dir, "tmp-*", NAME, "test file", entry -> {
            seen.add(entry);
            Files.delete(entry);
        });

        assertThat(removed).containsExactly(dead);
        assertThat(seen).containsExactly(dead);
        assertThat(dead).doesNotExist();
        assertThat(live).exists();
        assertThat(other).exists();
    }

    @Test
    void neverHandsALinkToTheRemoval() throws Exception {
        Path victim = Files.writeString(dir.resolve("victim"), "keep me");
        Path link = Files.createSymbolicLink(dir.resolve("tmp-" + deadPid() + "-link"), victim);

        List<Path> removed = OrphanedFiles.remove(dir, "tmp-*", NAME, "test file", Files::delete);

        assertThat(removed).isEmpty();
        assertThat(link).exists();
        assertThat(victim).hasContent("keep me");
    }

    @Test
    void aFailureIsLoggedNotThrownAndTheOtherEntriesAreStillRemoved() throws Exception {
        long pid = deadPid();
        Path stuck = Files.createFile(dir.resolve("tmp-" + pid + "-stuck"));
        Path other = Files.createFile(dir.resolve("tmp-" + pid + "-other"));

        assertThat(OrphanedFiles.remove(dir.resolve("missing"), "tmp-*", NAME, "test file", Files::delete)).isEmpty();
        List<Path> removed = OrphanedFiles.remove(dir, "tmp-*", NAME, "test file", entry -> {
            if (entry.equals(stuck)) {
                throw new IOException("refused");
            }
            Files.delete(entry);
        });

        assertThat(removed).containsExactly(other);
        assertThat(stuck).exists();
    }
}
