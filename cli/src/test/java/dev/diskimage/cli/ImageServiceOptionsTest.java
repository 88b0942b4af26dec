package dev.diskimage.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.diskimage.catalog.LocalImageService;
import java.nio.file.Path;
import dev.diskimage.core.service.RequestContext;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The --service | --glance options and the factory behind them, parsed by picocli. */
class ImageServiceOptionsTest {
    @TempDir
    Path dir;

    private static ImageServiceOptions parse(Map<String, String> environment, String... args) {
        ImagesCommand command = new ImagesCommand();
        new CommandLine(command).parseArgs(args);
        command.service.environment = environment::get;
        return command.service;
    }

    @Test
    void serviceOpensALocalDirectoryWithAnAnonymousContext() {
        ImageServiceOptions options = parse(Map.of("OS_AUTH_TOKEN", "ignored"), "--service", dir.toString());

        assertThat(options.open()).isInstanceOf(LocalImageService.class);
        assertThat(options.open().location()).isEqualTo("directory " + dir.toFile().getAbsoluteFile().toPath().normalize());
        assertThat(options.context().authToken()).as("a directory needs no token").isEmpty();
    }

    @Test
    void theGlanceTokenComesFromTheOptionOrTheEnvironment() {
        assertThat(parse(Map.of("OS_AUTH_TOKEN", "from-env"), "--glance", "http://h:9292").context().authToken())
                .contains("from-env");
        assertThat(parse(Map.of("OS_AUTH_TOKEN", "from-env"), "--glance", "http://h:9292", "--token", "given")
                .context().authToken()).contains("given");
        assertThat(parse(Map.of(), "--glance", "http://h:9292").context().authToken()).isEmpty();
    }

    @Test
    void aTokenWithAControlCharacterIsAUsageErrorThatDoesNotShowIt() {
        ImageServiceOptions options = parse(Map.of("OS_AUTH_TOKEN", "abc\r\nX-Evil: 1"), "--glance", "http://h");
        assertThatThrownBy(options::context).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("OS_AUTH_TOKEN").hasMessageNotContaining("abc");
    }

    @Test
    void glanceOpensItsClientAndIdentityComesFromItsOwnOptions() {
        ImageServiceOptions options = parse(Map.of(), "--glance", "https://glance.example:9292/", "--header",
                "X-Service-Note: batch", "--user", "u1", "--project", "p1", "--roles", "member,reader");
        assertThat(options.open().location()).contains("https://glance.example:9292");
        RequestContext ctx = options.context();
        assertThat(ctx.userId()).contains("u1");
        assertThat(ctx.projectId()).contains("p1");
        assertThat(ctx.roles()).containsExactly("member", "reader");
        assertThatThrownBy(() -> parse(Map.of(), "--glance", "http://h", "--header", "X-Roles: admin").open())
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--roles");
        assertThatThrownBy(() -> parse(Map.of(), "--glance", "http://h", "--user", "u1").context())
                .hasMessageContaining("--user and --project go together");
        assertThatThrownBy(() -> parse(Map.of(), "--service", "/tmp/x", "--user", "u1", "--project", "p").context())
                .hasMessageContaining("go with --glance");
    }

    @Test
    void headersNeedANameAndACleanValue() {
        assertThatThrownBy(() -> parse(Map.of(), "--glance", "http://h", "--header", ":x").open())
                .hasMessageContaining("NAME:VALUE");
        assertThatThrownBy(() -> parse(Map.of(), "--glance", "http://h", "--header", "X-A:b\u0007").open())
                .hasMessageContaining("control character");
    }
}
