package rund.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The few file operations the package performs on cgroupfs, /proc and /sys. Every write goes through here, which
 * lets tests put a simulated kernel behind the same code, and lets the host test prove that detection on a host
 * without usable controllers writes nothing.
 */
interface CgroupFs {

    String read(Path file) throws IOException;

    /** The file's content, empty when it does not exist (an interface file of a newer kernel or a disabled controller). */
    default Optional<String> readIfExists(Path file) throws IOException {
        try {
            return Optional.of(read(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /**
     * Writes {@code value} to an existing file in one write(2). cgroupfs parses each write on its own (io.max takes
     * one device per write) and a missing interface file must fail rather than be created.
     */
    void write(Path file, String value) throws IOException;

    /**
     * {@link #write} for a limit file: the kernel's error ("Invalid argument") comes without the file name or the
     * value, so both are added.
     */
    default void writeLimit(Path file, String value) throws IOException {
        try {
            write(file, value);
        } catch (IOException e) {
            throw new IOException("writing \"" + value + "\" to " + file + " failed: " + describe(e), e);
        }
    }

    /**
     * An I/O error for a message: the JDK reports a failed write(2) on cgroupfs as a bare "Invalid argument", a failed
     * rmdir or mkdir as a FileSystemException with the path.
     */
    static String describe(IOException e) {
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return (fse.getFile() == null ? "" : fse.getFile() + ": ") + fse.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** mkdir(2): fails if the directory exists. */
    void mkdir(Path dir) throws IOException;

    /** rmdir(2) of a cgroup directory; cgroupfs allows it although the interface files are still listed. */
    void rmdir(Path dir) throws IOException;

    boolean exists(Path path);

    boolean isDirectory(Path path);

    /** The sub-directories of {@code dir}, by name order; symbolic links are not followed. */
    List<Path> subdirectories(Path dir) throws IOException;

    /** The real file system. */
    CgroupFs REAL = new CgroupFs() {
        @Override
        public String read(Path file) throws IOException {
            return Files.readString(file, StandardCharsets.UTF_8);
        }

        @Override
        public void write(Path file, String value) throws IOException {
            // WRITE + TRUNCATE_EXISTING without CREATE is what a shell's ">" does minus O_CREAT. Files.write hands the
            // whole array to one write(2) for values this short.
            Files.write(file, value.getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        }

        @Override
        public void mkdir(Path dir) throws IOException {
            Files.createDirectory(dir);
        }

        @Override
        public void rmdir(Path dir) throws IOException {
            // Files.delete uses rmdir(2) for a directory.
            Files.delete(dir);
        }

        @Override
        public boolean exists(Path path) {
            return Files.exists(path);
        }

        @Override
        public boolean isDirectory(Path path) {
            return Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
        }

        @Override
        public List<Path> subdirectories(Path dir) throws IOException {
            List<Path> result = new ArrayList<>();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for (Path entry : entries) {
                    if (Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
                        result.add(entry);
                    }
                }
            }
            result.sort(null);
            return result;
        }
    };
}
