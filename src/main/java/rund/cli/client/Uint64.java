package rund.cli.client;

/** Parses the unsigned 64-bit decimal values of the limit flags. */
final class Uint64 {
    private Uint64() {}

    /**
     * Parses a decimal number in 0..2^64-1 (digits only: no sign, no blank, no prefix) and returns its 64 bits, to be
     * read as unsigned. Anything else is a usage error naming {@code flag}.
     */
    static long parse(String value, String flag, String subcommand) {
        if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw invalid(value, flag, subcommand, "expected an unsigned decimal integer");
        }
        try {
            return Long.parseUnsignedLong(value);
        } catch (NumberFormatException e) {
            throw invalid(value, flag, subcommand, "out of range, the largest value is 18446744073709551615");
        }
    }

    private static CliException invalid(String value, String flag, String subcommand, String why) {
        return CliException.usage("invalid value \"" + value + "\" for " + flag + ": " + why, subcommand);
    }
}
