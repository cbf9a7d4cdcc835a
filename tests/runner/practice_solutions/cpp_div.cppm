export module div;

import std;

// Long division in base two: the largest shifted divisor that fits is taken away first.
export std::size_t divide(std::size_t a, std::size_t b)
{
    if (b == 0) {
        return std::numeric_limits<std::size_t>::max();
    }
    std::size_t quotient = 0;
    for (int shift = std::numeric_limits<std::size_t>::digits - 1; shift >= 0; --shift) {
        if ((a >> shift) >= b) {
            a -= b << shift;
            quotient |= std::size_t{1} << shift;
        }
    }
    return quotient;
}
