"""Report the words a text uses most often.

Usage: python word_count.py [--top N] [FILE]
Without FILE the sample text below is counted.
"""

import argparse
import sys

SAMPLE_TEXT = """
The quick brown fox jumps over the lazy dog. The dog sleeps on;
the fox runs off into the woods, and the woods are quiet again.
"""


def split_into_words(text):
    """Return the words of `text` in lower case. A word is a run of letters."""
    ...


def count_words(words):
    """Return a dict from each word to the number of times it occurs in `words`."""
    ...


def most_frequent(counts, top):
    """Return at most `top` (word, count) pairs: most frequent first, ties alphabetically."""
    ...


def main(arguments):
    parser = argparse.ArgumentParser(description="Report the most frequent words of a text.")
    parser.add_argument("--top", type=int, default=5, help="how many words to report")
    parser.add_argument("file", nargs="?", help="the text file to read (default: a sample)")
    options = parser.parse_args(arguments)
    if options.file is None:
        text = SAMPLE_TEXT
    else:
        with open(options.file, encoding="utf-8") as stream:
            text = stream.read()
    for word, count in most_frequent(count_words(split_into_words(text)), options.top):
        print(f"{word}: {count}")


if __name__ == "__main__":
    main(sys.argv[1:])
