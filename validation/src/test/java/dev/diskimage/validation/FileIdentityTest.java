package dev.diskimage.validation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.attribute.FileTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FileIdentityTest {
    private static final FileTime T0 = FileTime.fromMillis(1_000);
    private static final FileTime T1 = FileTime.fromMillis(2_000);

    @Test
    void identicalSnapshotsShowNoDifference() {
        FileIdentity identity = new FileIdentity(10, T0, Optional.of("inode 1"));

        assertThat(identity.differenceTo(new FileIdentity(10, T0, Optional.of("inode 1")))).isEmpty();
    }

    @Test
    void anotherFileKeyIsAReplacementWhateverTheSizeAndTime() {
        FileIdentity identity = new FileIdentity(10, T0, Optional.of("inode 1"));

        assertThat(identity.differenceTo(new FileIdentity(11, T1, Optional.of("inode 2"))))
                .contains("was replaced by another file");
    }

    @Test
    void sizeAndTimeAreComparedWhenTheFileSystemHasNoFileKey() {
        FileIdentity identity = new FileIdentity(10, T0, Optional.empty());

        assertThat(identity.differenceTo(new FileIdentity(10, T0, Optional.of("inode 2")))).isEmpty();
        assertThat(identity.differenceTo(new FileIdentity(12, T0, Optional.empty())))
                .contains("changed size from 10 to 12 bytes");
        assertThat(identity.differenceTo(new FileIdentity(10, T1, Optional.empty())))
                .hasValueSatisfying(text -> assertThat(text).startsWith("was modified"));
    }

    @Test
    void aFileKeyThatDisappearsFallsBackToSizeAndTime() {
        FileIdentity identity = new FileIdentity(10, T0, Optional.of("inode 1"));

        assertThat(identity.differenceTo(new FileIdentity(10, T0, Optional.empty()))).isEmpty();
        assertThat(identity.differenceTo(new FileIdentity(10, T1, Optional.empty())))
                .contains("was modified (last-modified time " + T0 + ", now " + T1 + ")");
        assertThat(identity.differenceTo(new FileIdentity(9, T0, Optional.of("inode 1"))))
                .contains("changed size from 10 to 9 bytes");
    }
}
