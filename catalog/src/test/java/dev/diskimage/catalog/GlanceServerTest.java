package dev.diskimage.catalog;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.catalog.testing.GlanceServer;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/** The fixture fails, with a message saying what to install, when glance-api is missing. */
class GlanceServerTest {
    @Test
    @ResourceLock("system-properties")
    void startFailsClearlyWithoutGlanceApi(@TempDir Path empty) {
        String before = System.getProperty(GlanceServer.BIN_PROPERTY);
        System.setProperty(GlanceServer.BIN_PROPERTY, empty.toString());
        try {
            assertThatThrownBy(GlanceServer::start).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("glance-api is not installed")
                    .hasMessageContaining("apt-get install -y glance-api");
        } finally {
            if (before == null) {
                System.clearProperty(GlanceServer.BIN_PROPERTY);
            } else {
                System.setProperty(GlanceServer.BIN_PROPERTY, before);
            }
        }
    }
}
