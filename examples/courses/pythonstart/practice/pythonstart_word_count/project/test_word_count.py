import unittest

from word_count import count_words, most_frequent, split_into_words


class TestSplitIntoWords(unittest.TestCase):
    def test_words_are_lower_case(self):
        self.assertEqual(split_into_words("Hello World"), ["hello", "world"])

    def test_punctuation_separates_words(self):
        self.assertEqual(split_into_words("Don't stop!"), ["don", "t", "stop"])

    def test_digits_are_not_part_of_words(self):
        self.assertEqual(split_into_words("room101b"), ["room", "b"])

    def test_line_breaks_and_runs_of_spaces_separate_words(self):
        self.assertEqual(split_into_words("  one\n\ntwo   three "), ["one", "two", "three"])

    def test_text_without_letters_has_no_words(self):
        self.assertEqual(split_into_words(""), [])
        self.assertEqual(split_into_words("42 - 7 = 35"), [])


class TestCountWords(unittest.TestCase):
    def test_counts_every_occurrence(self):
        self.assertEqual(count_words(["a", "b", "a", "a"]), {"a": 3, "b": 1})

    def test_no_words_no_counts(self):
        self.assertEqual(count_words([]), {})


class TestMostFrequent(unittest.TestCase):
    def test_most_frequent_word_comes_first(self):
        counts = {"rare": 1, "common": 5, "usual": 3}
        self.assertEqual(most_frequent(counts, 2), [("common", 5), ("usual", 3)])

    def test_equal_counts_are_ordered_alphabetically(self):
        counts = {"pear": 2, "apple": 2, "fig": 4}
        self.assertEqual(most_frequent(counts, 3), [("fig", 4), ("apple", 2), ("pear", 2)])

    def test_asking_for_more_than_there_is_returns_everything(self):
        self.assertEqual(most_frequent({"only": 1}, 10), [("only", 1)])


if __name__ == "__main__":
    unittest.main()
