package dev.diskimage.catalog.distro;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A Jazzer fuzz test of this package: in a normal test run it replays its seed corpus; with
 * {@code JAZZER_FUZZ=1} (the suite's {@code fuzz-short} execution) it fuzzes for
 * {@link #DURATION}. Jazzer fuzzes one test per JVM, so each fuzz test class holds exactly one.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@FuzzTest(maxDuration = ShortFuzzTest.DURATION)
@interface ShortFuzzTest {
    /** How long one fuzzing run of one test lasts. */
    String DURATION = "10s";
}
