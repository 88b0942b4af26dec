package dev.diskimage.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

class IoErrorTextTest {

    @Test
    void namesTheReasonAUserActsOn() {
        assertThat(IoErrorText.describe(new NoSuchFileException("/x"))).isEqualTo("no such file");
        assertThat(IoErrorText.describe(new AccessDeniedException("/x"))).isEqualTo("permission denied");
        assertThat(IoErrorText.describe(new FileSystemException("/x", null, "Is a directory")))
                .isEqualTo("Is a directory");
        assertThat(IoErrorText.describe(new IOException("Input/output error"))).isEqualTo("Input/output error");
        assertThat(IoErrorText.describe(new IOException())).isEqualTo("input/output error");
        assertThat(IoErrorText.describe(new java.nio.channels.ClosedByInterruptException()))
                .isEqualTo("the thread was interrupted");
    }
}
