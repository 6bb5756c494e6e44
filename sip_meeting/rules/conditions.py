"""Find conditional clauses and hedges in one text, in Swedish and in English.

Swedish "om" is read from the clause around it, not from word lists alone:

- What follows: "om" opens a condition only when a clause follows, a subject and its finite
  verb ("om skolan hittar", "om de egna insatserna bedöms", "om hon själv vill"); a noun
  phrase with no verb makes it a preposition ("beslut om insatser"), and a verb followed by
  its subject ("om effekten ... måste man") belongs to the main clause, so the "om" before it
  was a preposition too.
- Where it stands: before its sentence's first verb, "om" is inside the subject ("Kontakt med
  BUP om medicinfrågor sker ..."); an opening "Om" clause that is itself the subject of a verb
  of judging ("Om det är lämpligt bedöms inte") or that offers an alternative ("om ... eller
  inte") asks whether; so does a clause governed by a preposition ("beror på om", "en bild av
  om") or a verb of judging, noticing or asking ("avgör om", "uppmärksamma om", "fråga om").
- What precedes: a time ("om en vecka"), "även om", "som om" and particles ("ta hand om")
  are not conditions; a noun of information or decision takes "om" as "about" unless a
  short clause closes the sentence ("information om patienten begär det").

Verb-first clauses ("Blir det fler frånvarodagar, ringer mentorn") are conditions when a main
clause follows them; questions and reported speech (", säger någon,") are not.
"""

from __future__ import annotations

from .core import Span
from .text import (
    BREAKS,
    SENTENCE_ENDS,
    Detector,
    Grammar,
    MatchRules,
    Tok,
    en_subject,
    sv_finite,
    sv_subject,
    tokenize,
)

_CONJUNCTIONS = frozenset({"och", "men", "eller", "samt", "utan", "and", "but", "or"})
_OPENING_CONJUNCTIONS = frozenset({"men", "och", "eller"})
_BE = frozenset({"is", "are", "was", "were", "be", "been", "being", "am"})
_PRONOUNS = frozenset({"hen", "han", "hon", "det", "de", "den", "dom", "vi", "ni", "jag", "du",
                       "man"})
# Pronouns that can only be subjects: after a finite verb they show inverted, main-clause order.
_NOMINATIVE = frozenset({"jag", "du", "han", "hon", "vi", "ni", "de", "man"})
_MODALS = frozenset({"ska", "skall", "kan", "måste", "bör", "vill", "får", "skulle", "kunde",
                     "borde", "ville", "fick"})
_SHORT_INFINITIVES = frozenset({"få", "gå", "se", "ha", "bli", "ge", "ta", "stå", "dö", "nå", "må"})
_SENTENCE_ADVERBS = frozenset({"inte", "ej", "icke", "aldrig", "alltid", "också", "även", "dock",
                               "alltså", "därför", "ändå", "not", "also"})
_NOT_MAIN = frozenset({"och", "men", "eller", "samt", "att", "som"})
# Words that open a clause: a noun's or verb's reach before "om" ends at them.
_CLAUSE_OPENERS = frozenset({"att", "som", "när", "då", "eftersom", "medan", "that", "which",
                             "when"})
# Subordinators whose clause may have "om" inside its subject ("att orosanmälningar om barn").
_SUBJECT_OPENERS = frozenset({"att", "när", "eftersom", "innan", "medan", "tills"})
# A pronoun object closing a condition after a noun, and what may follow it: "information om
# patienten begär det", "om väntetiden tillåter det före jul".
_OBJECT_DET = frozenset({"det", "detta", "så"})
_AFTER_OBJECT = frozenset({"före", "efter", "innan", "senast", "i", "på", "under", "till", "själv",
                           "själva", "igen", "också", "heller", "då", "nu"})
# A clause right after one of these prepositions is its object and asks whether ("beror på
# om", "fundera över om"). The others are often verb particles ("hjälper till om", "följa med
# om") and govern the clause only after a noun ("en bild av om"); "för om" is "because if".
_GOVERNING_PREPOSITIONS = frozenset({
    "på", "över", "kring", "angående", "rörande", "beträffande", "gällande"})
_PARTICLE_PREPOSITIONS = frozenset({"till", "med", "av", "i", "från", "mot", "vid"})
_POSSESSIVES = frozenset({"min", "mitt", "mina", "din", "ditt", "dina", "hans", "hennes", "hens",
                          "vår", "vårt", "våra", "er", "ert", "era", "deras"})
# Nouns and adjectives of asking, judging, deciding and knowing (by their stems): a clause
# after them asks whether ("frågan om hen ska gå kvar", "medveten om du ...").
_WHETHER_NOUNS = (
    "fråg", "bedöm", "pröv", "utred", "undersök", "kontroll", "kartlägg", "utvärder", "beslut",
    "besked", "ställning", "val", "osäker", "säker", "oklar", "ovisshet", "tvivel", "tveksam",
    "vetskap", "kunskap", "kännedom", "medvet", "insikt", "information", "uppgift", "diskussion",
    "samtal", "dialog", "överlägg", "resonemang", "funder", "tanke", "uppfattning", "åsikt",
    "tvist", "oenig", "enig", "samsyn", "ense", "oense")
# Words that open an indirect question after a verb: "går igenom vilket stöd som finns".
_QUESTION_WORDS = frozenset({"vad", "vem", "vilka", "vilket", "vilken", "hur", "varför"})


def find_spans(text: str, det: Detector) -> list[Span]:
    """Return conditional and hedge spans in text, sorted, never two on the same words."""
    toks = tokenize(text)
    index = {t.start: i for i, t in enumerate(toks)}
    hedges = [Span("hedge", m.start(), m.end()) for m in det.hedge.finditer(text)
              if _hedging(toks, index, m.start(), m.end(), det)]
    found: list[Span] = [Span("conditional", m.start(), m.end()) for m in det.plain.finditer(text)
                         if not _alternative(toks, index[m.start()])]
    for pattern, test in ((det.om, _om_condition), (det.if_, _if_condition),
                          (det.clause, _clause_condition)):
        for m in pattern.finditer(text):
            first = index[m.start()]
            last = first + len(m.group().split()) - 1
            if test(toks, first, last, det):
                found.append(Span("conditional", m.start(), m.end()))
    found += _verb_first(toks, det)
    return _resolve(hedges, found)


def _hedging(toks: list[Tok], index: dict[int, int], start: int, end: int, det: Detector) -> bool:
    """Tell whether a hedge phrase qualifies an action, not a goal or a named situation.

    "utvecklas så långt som möjligt" states a goal and "vid behov av rehabilitering" names
    a situation; neither leaves an action open.
    """
    first = index[start]
    last = next(i for i in range(first, len(toks)) if toks[i].end >= end)
    if first > 0 and toks[first - 1].is_word and det.hedge_not_after.fullmatch(toks[first - 1].low):
        return False
    nxt = toks[last + 1] if last + 1 < len(toks) else None
    return not (nxt is not None and nxt.is_word and det.hedge_not_before.fullmatch(nxt.low))


def _resolve(hedges: list[Span], found: list[Span]) -> list[Span]:
    # A hedge such as "om möjligt" wins over the "om" inside it; longer markers win over parts.
    kept = list(hedges)
    for span in sorted(found, key=lambda s: (s.start, s.start - s.end)):
        if not any(span.start < k.end and k.start < span.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: (s.start, s.end))


def _before(toks: list[Tok], first: int, limit: int = 4) -> list[str]:
    # A parenthesis is skipped: "lagen (1993:387) om stöd" reads as "lagen om stöd", and so is
    # a number right before "om".
    words: list[str] = []
    k = first - 1
    while k >= 0 and len(words) < limit:
        tok = toks[k]
        if tok.text == ")":
            k = _opening(toks, k)
        elif k == first - 1 and tok.low.isdigit():
            pass  # a number names its noun: "artikel 28 om utbildning" reads as "artikel om"
        elif not tok.is_word or tok.low in _CONJUNCTIONS:
            break
        else:
            words.append(tok.low)
        k -= 1
    return words


def _opening(toks: list[Tok], close: int) -> int:
    for k in range(close - 1, max(-1, close - 12), -1):
        if toks[k].text == "(":
            return k
    return -1


def _after(toks: list[Tok], last: int, limit: int = 5) -> list[Tok]:
    words: list[Tok] = []
    for tok in toks[last + 1:last + 1 + limit]:
        if not tok.is_word:
            break
        words.append(tok)
    return words


def _excluded(rules: MatchRules, before: list[str], after: list[Tok]) -> bool:
    if not after:
        return True
    if before and rules.after_word.fullmatch(before[0]):
        return True
    near = before[:3]
    for k, w in enumerate(near):
        # "lagen anger att om ...", "enligt lagen inte giltigt om ...": a noun's or verb's
        # reach ends at a clause or at a sentence adverb or adjective after it.
        if w in _CLAUSE_OPENERS or w in _SENTENCE_ADVERBS or w.endswith("igt"):
            near = near[:k]
            break
    if any(rules.after_near.fullmatch(w) for w in near):
        return True
    if before and rules.after_phrase.search(" ".join(reversed(before))):
        return True
    return bool(rules.before.match(" ".join(t.low for t in after)))


def _judged(toks: list[Tok], first: int, rules: MatchRules, g: Grammar, swedish: bool) -> bool:
    """Tell whether "om" is "whether" after a verb of judging: "bedömer i samråd med X om".

    A verb that opens its sentence has its subject after it: "Väljer patienten själv om ...".
    """
    for k in range(first - 1, max(-1, first - 9), -1):
        tok = toks[k]
        if (k == 0 or toks[k - 1].text in SENTENCE_ENDS) and rules.after_verb.fullmatch(tok.low):
            return all(t.is_word for t in toks[k:first])
        if not tok.is_word or tok.low in _CONJUNCTIONS or tok.low in ("om", "if", "att", "som"):
            return False
        if rules.after_verb.fullmatch(tok.low) and not _noun_ending(tok.low):
            passive = k > 0 and toks[k - 1].low in _BE  # "is reviewed if": a condition
            after = toks[k + 1]
            adverbial = after.low in g.adverbial_starts or (
                swedish and after.low.endswith("igt") and k + 2 == first)  # "avgör noggrant om"
            return not passive and (k + 1 == first or adverbial)
        if (sv_finite(tok, g) if swedish else tok.low in g.en_finite):
            return False  # another verb's clause
    return False


def _om_condition(toks: list[Tok], first: int, last: int, det: Detector) -> bool:
    if first > 0 and (last + 1 == len(toks) or toks[last + 1].text == ":"):
        # A lead-in that ends in "om" before a list of conditions, with or without a colon:
        # "Du kan få korttidsvistelse om:", "Du kan få omvårdnadsbidrag om". After a word that
        # takes "om" as "about" the list is of topics: "Patienten ska få information om:".
        # Without a colon, "om" after a verb is its particle: "Planen ska skrivas om".
        prev = toks[first - 1]
        particle = last + 1 == len(toks) and (
            _verb_like(prev, det.grammar) or prev.low.endswith(("at", "it", "tt")))
        return not particle and not det.om_rules.after_word.fullmatch(prev.low)
    if (_excluded(det.om_rules, _before(toks, first), _after(toks, last))
            and not _condition_after_noun(toks, first, last, det.grammar)
            and not _clause_after_topic_noun(toks, first, det)):
        return False
    if _judged(toks, first, det.om_rules, det.grammar, swedish=True):
        return False
    if _coordinated_with_governed(toks, first, det):
        return False
    if _governed_by_preposition(toks, first, det.grammar):
        return False
    if _in_subject(toks, first, det.grammar):
        return False
    if last + 1 < len(toks) and toks[last + 1].low in _CONJUNCTIONS:
        return False  # a particle: "Sidan har skrivits om och ..."
    verb = _sv_clause_verb(toks, last + 1, det)
    if verb is None or _main_clause_verb(toks, verb, det.grammar):
        return False
    return (not _alternative(toks, verb) and not _extraposed(toks, first, det)
            and not _subject_clause(toks, first, verb, det))


def _condition_after_noun(toks: list[Tok], first: int, last: int, g: Grammar) -> bool:
    """Tell whether a short clause after a noun is a condition, not what the noun is about.

    "lämna information om patienten begär det", "överklaga beslutet om de är missnöjda": a
    subject, its verb and "det" (or "är" and one word) closing the sentence make a condition.
    """
    noun = toks[first - 1] if first > 0 else None
    if noun is None or not noun.is_word or _verb_like(noun, g):
        return False
    words: list[Tok] = []
    for tok in toks[last + 1:last + 7]:
        if not tok.is_word or (len(words) >= 3 and words[-1].low in _OBJECT_DET
                               and tok.low in _AFTER_OBJECT):
            break  # "om väntetiden tillåter det före jul"
        words.append(tok)
    else:
        return False
    if not words or not (words[0].low in _PRONOUNS or _definite_noun(words[0])):
        return False
    rest = [w.low for w in words[1:] if w.low != "inte"]
    if len(rest) == 2 and rest[1] in _OBJECT_DET:
        verb = words[-2]
        return sv_finite(verb, g) or _short_verb(verb, g)
    closes = len(words) + last + 1 >= len(toks) or toks[last + 1 + len(words)].text in SENTENCE_ENDS
    return len(rest) == 2 and rest[0] in ("är", "blir", "var", "blev") and closes


def _clause_after_topic_noun(toks: list[Tok], first: int, det: Detector) -> bool:
    """Tell whether a clause after a noun of topic is a condition: "under uppdraget om du ...".

    "om" before a subject-only pronoun ("du", "man", "hen") opens a clause, never a noun
    phrase, so it cannot be "about". After a noun that names a text, a task or a form of
    work ("uppdraget", "samverkan") that clause is a condition; only nouns of asking, judging
    and knowing take a clause as "whether" ("frågan om hen ska gå kvar").
    """
    if first == 0 or first + 1 >= len(toks):
        return False
    noun, subject = toks[first - 1], toks[first + 1].low
    w = noun.low
    return (subject in _NOMINATIVE | {"hen"} and noun.is_word and noun.text.islower()
            and bool(det.om_rules.after_word.fullmatch(w))
            and (_definite_noun(noun) or (len(w) >= 6 and w.endswith("an")))
            and not _verb_like(noun, det.grammar) and not w.startswith(_WHETHER_NOUNS))


def _noun_ending(w: str) -> bool:
    # The verbs of judging share their stems with nouns: "utreder", "utredningen".
    return w.endswith(("ning", "ningen", "ningar", "ningarna", "en", "et", "na", "else", "elsen"))


def _verb_like(tok: Tok, g: Grammar) -> bool:
    w = tok.low
    return (sv_finite(tok, g) or _short_verb(tok, g) or w in _SHORT_INFINITIVES
            or (w.endswith("a") and w.isalpha()))


def _sv_clause_verb(toks: list[Tok], start: int, det: Detector) -> int | None:
    """Return the index of the finite verb of the clause an "om" opens, or None."""
    g = det.grammar
    relative = False  # inside "som ..." after the subject: its verb is not the clause's
    parenthesis = False
    limit = start + 8
    k = start
    while k + 1 < min(len(toks), limit):
        k += 1
        tok, prev = toks[k], toks[k - 1]
        if tok.text == "," and not parenthesis:
            # "Om familjen, utöver de generella insatserna, har ...": skip the parenthesis.
            close = next((j for j in range(k + 1, min(len(toks), k + 9)) if toks[j].text == ","),
                         None)
            if close is None or close + 1 >= len(toks) or not _clear_verb(toks[close + 1], g):
                return None
            parenthesis, k = True, close
            continue
        if tok.text == "/" and prev.low in ("och", "eller") and k + 1 < len(toks):
            k += 1  # "om regionen och/eller kommunen bedömer": one conjunction
            limit += 2
            continue
        if (tok.text == "/" and prev.is_word and k + 1 < len(toks) and toks[k + 1].is_word
                and toks[k + 1].start == tok.end and prev.end == tok.start):
            # A slash between two words offers alternatives for one subject: "om barnet/den
            # unge missbrukar", "om han/hon vill". The search goes on after the second.
            limit += 2
            continue
        if not tok.is_word:
            return None
        if _genitive(prev):
            continue
        if tok.low == "för" and sv_subject(prev, g) and prev.low not in _PRONOUNS:
            continue  # a preposition inside the subject: "om kostnaden för detta inte överstiger"
        if tok.low == "som" and k - start <= 3 and not relative and sv_subject(prev, g):
            relative, limit = True, limit + 6  # "om arbetsplatsen som ska inspekteras vägrar"
            continue
        if tok.low in g.sv_clause_stops and not _joins_subjects(toks, k, start, g):
            return None
        if sv_finite(tok, g) and (prev.low not in g.sv_prepositions or prev.low in g.sv_subjects):
            if relative and prev.low == "som":
                continue
            return k
        if _verb_after_subject(tok, prev, g) or _supine_after_subject(toks, k, start, g):
            return k
        if _short_verb(tok, g) and (prev.low in _PRONOUNS or _definite_noun(prev)):
            return k  # "om patienten ber om det"
    return None


def _clear_verb(tok: Tok, g: Grammar) -> bool:
    # After a parenthesis, "-ar"/"-er" may be the list's next plural noun ("trivsel, relationer").
    w = tok.low
    return w in g.sv_finite or (sv_finite(tok, g) and w.endswith(("de", "te", "s")))


def _supine_after_subject(toks: list[Tok], k: int, start: int, g: Grammar) -> bool:
    # A subordinate clause may drop "har": "om företaget på eget initiativ kontaktat dig".
    w = toks[k].low
    if _supine_after_pronoun(toks, k, start, g):
        return True
    if len(w) < 5 or not w.isalpha() or not w.endswith(("at", "it", "tt")) or w in g.sv_not_verbs:
        return False
    return k > start and toks[k - 1].low not in g.sv_prepositions and toks[k - 1].low != "ett"


def _supine_after_pronoun(toks: list[Tok], k: int, start: int, g: Grammar) -> bool:
    # After a pronoun subject and its sentence adverbs, a word in "-t" (or "-ts") is a supine
    # with "har" left out, whatever its stem: "om du inte godkänt det", "om det inte haft
    # sin ...", "om det inte funnits".
    # "det", "den" and "de" may be articles ("om det mest lämpliga"), so they count only with
    # an adverb after them, which an article never has.
    w, subject = toks[k].low, toks[start].low
    between = [t.low for t in toks[start + 1:k]]
    if (len(w) < 4 or not w.isalpha() or not w.endswith(("t", "ts")) or w in g.sv_not_verbs
            or w in _SENTENCE_ADVERBS or subject not in _PRONOUNS
            or not all(b in _SENTENCE_ADVERBS for b in between)):
        return False
    return subject in _NOMINATIVE or subject == "hen" or bool(between)


def _verb_after_subject(tok: Tok, prev: Tok, g: Grammar) -> bool:
    # A word that is a plural noun or a verb ("träffar", "tider") is the verb right after a
    # subject: "om habiliteringen träffar skolan", not "om träffar".
    # "de", "den" and "det" may be articles: "om de insatser som planeras". After a personal
    # pronoun or a definite noun a word in "-s" is a passive verb: "om det bedöms att", "om
    # insatserna bedöms som otillräckliga".
    w = tok.low
    if ((prev.low in _PRONOUNS or _definite_noun(prev)) and len(w) > 4 and w.isalpha()
            and w.endswith("s")
            and w != "förstås" and w not in g.sv_not_verbs):
        return True
    return (w in g.sv_not_verbs and w.endswith(("ar", "er"))
            and w not in _CONJUNCTIONS and prev.low not in ("de", "den", "det", "dom")
            and (prev.low in _PRONOUNS or _definite_noun(prev)))


def _definite_noun(tok: Tok) -> bool:
    w = tok.low
    return (tok.text.islower() and len(w) >= 5
            and w.endswith(("en", "et", "orn", "arna", "erna", "orna", "rna", "ena")))


def _governed_by_preposition(toks: list[Tok], first: int, g: Grammar) -> bool:
    """Tell whether a preposition governs the clause, which then asks whether.

    "beror på om", "en bild av om", "ta ställning till om"; but a verb's particle leaves the
    clause a condition: "hjälper till om", "följa med om".
    """
    if first < 2:
        return False
    prep, before = toks[first - 1].low, toks[first - 2]
    if prep in _GOVERNING_PREPOSITIONS:
        return True
    if prep not in _PARTICLE_PREPOSITIONS or not before.is_word:
        return False
    w = before.low
    verb = (sv_finite(before, g) or _short_verb(before, g) or w.endswith("a") or w in g.sv_finite
            or w in _SHORT_INFINITIVES)
    return not verb and w.isalpha()


def _in_subject(toks: list[Tok], first: int, g: Grammar) -> bool:
    """Tell whether "om" stands inside the subject, before its sentence's first verb.

    "Kontakt med BUP om medicinfrågor sker via mamma": a condition either opens its sentence
    or clause, or follows a verb; "om" after words with no verb among them modifies a noun.
    """
    k = first - 1
    while k >= 0 and toks[k].text not in SENTENCE_ENDS:
        tok = toks[k]
        if _glued(toks, k):
            k -= 1
            continue  # "FN:s"
        if tok.low == "om":
            k -= 1
            continue  # another "om" before it: "Medvetandet om FN:s deklaration om ..."
        if tok.low in _SUBJECT_OPENERS and k < first - 1:
            # "medför att orosanmälningar om barn blir sökbara": the words after "att" are
            # its clause's subject, unless they start with an infinitive ("att ringa skolan").
            return not _verb_like(toks[k + 1], g)
        if not tok.is_word or tok.low in _CONJUNCTIONS or tok.low in g.sv_subordinators:
            return False  # the "om" opens a clause
        prev = toks[k - 1] if k > 0 else None
        initial = prev is None or prev.text in SENTENCE_ENDS
        if _second_place(toks, k, g):
            return False
        # A participle between an article or adjective and its noun is no verb: "den gamla
        # inflammerade debatten".
        attributive = prev is not None and tok.low.endswith("ade") and (
            prev.low in g.sv_prepositions or (prev.low.endswith("a") and prev.low.isalpha()))
        if not attributive and (sv_finite(tok, g, initial=initial) or _short_verb(tok, g)
                                or (prev is not None and _verb_after_subject(tok, prev, g))):
            return False
        k -= 1
    return k < first - 1


def _second_place(toks: list[Tok], k: int, g: Grammar) -> bool:
    # A statement's finite verb comes second: after a one-word first part ("Kurator träffar
    # hen ..."), the word in second place is the verb, whatever its ending suggests.
    if k == 0 or not toks[k].is_word or not toks[k].text.islower():
        return False
    first = toks[k - 1]
    at_start = k == 1 or toks[k - 2].text in SENTENCE_ENDS
    return (at_start and first.is_word and first.low not in g.sv_prepositions
            and first.low not in _CONJUNCTIONS and toks[k].low not in g.sv_prepositions
            and toks[k].low not in _CONJUNCTIONS)


def _glued(toks: list[Tok], k: int) -> bool:
    # A colon inside a word ("FN:s", "SFS:en") is part of it, not a break.
    return (toks[k].text == ":" and 0 < k < len(toks) - 1
            and toks[k - 1].end == toks[k].start and toks[k + 1].start == toks[k].end)


def _genitive(tok: Tok) -> bool:
    # "barnets", "kommunens", "föräldrarnas": after a genitive comes its noun, not a verb.
    w = tok.text
    return w.islower() and len(w) > 5 and w.endswith(("ens", "ets", "ans", "nas", "orns"))


def _short_verb(tok: Tok, g: Grammar) -> bool:
    # Present tenses of three letters that the ending guess leaves out: "hör", "ber", "rör".
    w = tok.low
    return len(w) == 3 and w.endswith("r") and w.isalpha() and w not in g.sv_not_verbs


def _main_clause_verb(toks: list[Tok], verb: int, g: Grammar) -> bool:
    """Tell whether the verb found after "om" belongs to a main clause with inverted order.

    "De ideerna om kvinnornas arbete följer man inte": a subject pronoun right after the verb,
    or a subject between a modal and its infinitive ("om pengar ska eleven få stöd"), puts the
    verb in a main clause, so the "om" before it was a preposition.
    """
    nxt = toks[verb + 1] if verb + 1 < len(toks) else None
    if nxt is None or not nxt.is_word:
        return False
    if nxt.low in _NOMINATIVE:
        return True
    after = toks[verb + 2] if verb + 2 < len(toks) else None
    return (toks[verb].low in _MODALS and after is not None and after.is_word
            and sv_subject(nxt, g) and nxt.low not in _PRONOUNS and _infinitive(after, g))


def _infinitive(tok: Tok, g: Grammar) -> bool:
    w = tok.low
    return w in _SHORT_INFINITIVES or (
        len(w) > 3 and w.isalpha() and w.endswith("a") and w not in g.sv_not_verbs
        and w not in g.sv_prepositions)


def _alternative(toks: list[Tok], verb: int) -> bool:
    """Tell whether the clause offers an alternative, "om ... eller inte": it asks whether."""
    for k in range(verb, min(len(toks) - 1, verb + 12)):
        if toks[k].text in BREAKS:
            return False
        if toks[k].low == "eller" and toks[k + 1].low in ("inte", "ej", "icke"):
            return True
    return False


def _subject_clause(toks: list[Tok], first: int, verb: int, det: Detector) -> bool:
    """Tell whether an opening "Om" clause is the subject: "Om det är lämpligt bedöms inte".

    After a conditional clause the main clause's verb comes with its subject ("Om det regnar
    stannar vi"); a verb of judging with no subject after it has the clause as its subject,
    and "om" is "whether".
    """
    if first > 0 and toks[first - 1].text not in SENTENCE_ENDS:
        return False
    g = det.grammar
    for k in range(verb + 1, len(toks) - 1):
        tok, nxt = toks[k], toks[k + 1]
        if not tok.is_word:
            return False
        if toks[k - 1].low in _MODALS and k - 1 == verb:
            continue  # the clause's own infinitive: "Om klagomålet ska utredas har IVO ..."
        if det.om_rules.after_verb.fullmatch(tok.low):
            return nxt.is_word and not sv_subject(nxt, g) and nxt.low not in _PRONOUNS
        if sv_finite(tok, g):
            return False  # the main clause's verb, not one of judging
    return False


def _extraposed(toks: list[Tok], first: int, det: Detector) -> bool:
    """Tell whether "om" follows a comma after a clause of judging: "Det beror ..., om"."""
    if first == 0 or toks[first - 1].text != ",":
        return False
    # The verb stands last before the comma, or with at most two adverbs after it: a verb
    # that already has its complement ("beror på normalt åldrande, om ...") governs nothing.
    for k in range(first - 2, max(-1, first - 5), -1):
        tok = toks[k]
        if not tok.is_word or tok.low in det.grammar.sv_prepositions:
            return False
        if det.om_rules.after_verb.fullmatch(tok.low) and not _noun_ending(tok.low):
            return True
    return False


def _joins_subjects(toks: list[Tok], k: int, start: int, g: Grammar) -> bool:
    # "om kommunen eller regionen bedömer": a conjunction inside a short subject. A word
    # that can start a subject after it joins only two definite nouns ("föräldrarna och
    # skolan har"); a pronoun after it starts a new clause.
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    if nxt is not None and nxt.text == "/" and k + 3 < len(toks):
        nxt = toks[k + 3]  # "och/eller"
    if (toks[k].low in ("och", "eller") and k - start == 1 and nxt is not None
            and toks[k - 1].low in _NOMINATIVE and nxt.low in _NOMINATIVE):
        return True  # "om han eller hon hittat"
    if (toks[k].low not in ("och", "eller") or k - start > 2 or nxt is None
            or not nxt.is_word or nxt.low in _PRONOUNS or sv_finite(nxt, g)):
        return False
    return nxt.low not in g.sv_subjects or sv_subject(toks[k - 1], g)


def _coordinated_with_governed(toks: list[Tok], first: int, det: Detector) -> bool:
    # "prövas om målen nåtts och om planen behöver ...": the second "om" is "whether" too.
    if first == 0 or toks[first - 1].low not in ("och", "eller", "samt"):
        return False
    for j in range(first - 2, -1, -1):
        if toks[j].text in SENTENCE_ENDS:
            return False
        if toks[j].low == "om":
            return _excluded(det.om_rules, _before(toks, j), _after(toks, j))
        if toks[j].text == ",":
            return False
        if toks[j].low in _QUESTION_WORDS and j > 0 and toks[j - 1].is_word:
            # An indirect question joined to it: "går igenom vilket stöd som finns och om
            # förskolan kan vara involverad" asks whether too.
            return True
    return False


def _if_condition(toks: list[Tok], first: int, last: int, det: Detector) -> bool:
    if _judged(toks, first, det.if_rules, det.grammar, swedish=False):
        return False
    return not _excluded(det.if_rules, _before(toks, first), _after(toks, last))


def _clause_condition(toks: list[Tok], first: int, last: int, det: Detector) -> bool:
    after = _after(toks, last, 6)
    before = _before(toks, first, 1)
    if not after or (before and before[0] in _BE):
        return False
    if after[0].low == "that":
        return True
    g = det.grammar
    if not en_subject(after[0], g):
        return False
    return any(_en_verb(after[k], after[k - 1], g.en_finite, g.en_subjects)
               for k in range(1, len(after)))


def _en_verb(tok: Tok, prev: Tok, finite: frozenset[str], subjects: frozenset[str]) -> bool:
    if tok.low in finite:
        return True
    return len(tok.low) > 3 and tok.low.endswith(("s", "ed")) and prev.low not in subjects


def _verb_first(toks: list[Tok], det: Detector) -> list[Span]:
    """Find clauses that open with a finite verb and a subject: "Kommer hen inte, ..."."""
    spans = []
    for c in _clause_starts(toks):
        end = _sentence_end(toks, c)
        if end < len(toks) and toks[end].text == "?":
            continue  # a question, not a condition
        if _en_inverted(toks, c, end, det) or _sv_verb_first(toks, c, end, det):
            spans.append(Span("conditional", toks[c].start, toks[c].end))
    return spans


def _clause_starts(toks: list[Tok]) -> list[int]:
    starts = [0] if toks else []
    starts += [i + 1 for i, t in enumerate(toks[:-1]) if t.text in BREAKS]
    # A sentence may open with a conjunction before its verb-first clause: "Men ställer man ...".
    starts += [i + 1 for i in list(starts)
               if i + 1 < len(toks) and toks[i].low in _OPENING_CONJUNCTIONS
               and (i == 0 or toks[i - 1].text in SENTENCE_ENDS)]
    return sorted(i for i in set(starts) if toks[i].is_word)


def _sentence_end(toks: list[Tok], c: int) -> int:
    for k in range(c, len(toks)):
        if toks[k].text in SENTENCE_ENDS:
            return k
    return len(toks)


def _en_inverted(toks: list[Tok], c: int, end: int, det: Detector) -> bool:
    if toks[c].low not in det.inverted or c + 2 >= end:
        return False
    nxt = toks[c + 1]
    return en_subject(nxt, det.grammar) and nxt.low not in {"a", "an"}


def _sv_verb_first(toks: list[Tok], c: int, end: int, det: Detector) -> bool:
    g = det.grammar
    initial = c == 0 or toks[c - 1].text in SENTENCE_ENDS
    if (not sv_finite(toks[c], g, initial=initial) or c + 1 >= end
            or toks[c].low in g.sv_prepositions):  # "Deras val har ...": a determiner
        return False
    if _reporting(toks, c):
        return False
    subject = c + 2 if toks[c + 1].low == "inte" else c + 1
    if subject >= end:
        return False
    rest = subject + 1
    if _possessive_subject(toks, subject, end, g):
        rest += 1  # "Har ditt barn en långvarig sjukdom kan ...": a possessive and its noun
    elif not _verb_first_subject(toks[c], toks[subject], g):
        return False
    if not initial and _after_subordinate(toks, c, g.sv_subordinators):
        return False  # the main clause after "Om ..., " also starts with its verb
    return _main_clause_follows(toks, rest, end, det)


def _possessive_subject(toks: list[Tok], k: int, end: int, g: Grammar) -> bool:
    # A possessive before a noun starts a subject: "Har ditt barn ...", "Behöver er familj ...".
    nxt = toks[k + 1] if k + 1 < end else None
    return (toks[k].low in _POSSESSIVES and nxt is not None and nxt.is_word
            and nxt.text.islower() and nxt.low.isalpha() and not sv_finite(nxt, g)
            and nxt.low not in g.sv_prepositions)


def _reporting(toks: list[Tok], c: int) -> bool:
    """Tell whether a verb and its subject between commas report speech: ", säger någon,"."""
    if c == 0 or toks[c - 1].text != ",":
        return False
    close = next((k for k in range(c + 1, min(len(toks), c + 5)) if not toks[k].is_word), None)
    return close is not None and toks[close].text in (",", ".") and close - c <= 3


def _verb_first_subject(verb: Tok, tok: Tok, g: Grammar) -> bool:
    # A passive or "-s" verb often takes a bare noun: "Saknas samtycke ...", "Krävs tolk ...".
    if sv_subject(tok, g):
        return True
    return (verb.low.endswith("s") and tok.is_word and tok.low.isalpha()
            and tok.low not in g.sv_prepositions and tok.low not in g.sv_not_verbs)


def _imperative(tok: Tok, g: Grammar) -> bool:
    w = tok.low
    return (w.isalpha() and tok.text.islower() and w not in g.sv_prepositions
            and w not in g.sv_subjects and w not in g.sv_subordinators and w not in g.sv_not_verbs
            and w not in _CONJUNCTIONS and w not in _PRONOUNS and w not in _SENTENCE_ADVERBS)


def _passive_before_subject(toks: list[Tok], j: int, end: int, g: Grammar) -> bool:
    # "-ts" ends nouns too ("plats", "insats"); a definite subject after it makes it a passive
    # verb: "... skjuts uppföljningen".
    w = toks[j].low
    return (len(w) > 4 and w.isalpha() and w.endswith("ts") and j + 1 < end
            and sv_subject(toks[j + 1], g) and toks[j + 1].low not in _PRONOUNS)


def _after_subordinate(toks: list[Tok], c: int, subordinators: frozenset[str]) -> bool:
    k = c - 1
    while k > 0 and toks[k - 1].text not in BREAKS:
        k -= 1
    # The clause may open with a phrase before its subordinator: "I de fall där ..., krävs".
    return any(t.low in subordinators or t.low == "där" for t in toks[k:min(k + 4, c)])


def _main_clause_follows(toks: list[Tok], start: int, end: int, det: Detector) -> bool:
    g = det.grammar
    for j in range(start, end):
        tok, prev = toks[j], toks[j - 1]
        if tok.is_word and prev.text == "," and _imperative(tok, g):
            return True  # "Vill du veta mer, se ...": the main clause bids
        if not tok.is_word or not (sv_finite(tok, g) or _passive_before_subject(toks, j, end, g)):
            continue
        if prev.text == "," or (prev.low not in _NOT_MAIN and _subject_starts(toks, j + 1, end, g)):
            return True
    return False


def _subject_starts(toks: list[Tok], k: int, end: int, g: Grammar) -> bool:
    """Tell whether a subject starts at k, after a main clause's verb.

    It may be indefinite ("... ska en anmälan göras"), open with a possessive ("... kan ditt
    barn få") or with a weak adjective before a definite noun ("... är första steget att").
    """
    if k >= end:
        return False
    tok = toks[k]
    if sv_subject(tok, g) or tok.low in ("en", "ett") or _possessive_subject(toks, k, end, g):
        return True
    nxt = toks[k + 1] if k + 1 < end else None
    return (tok.text.islower() and tok.low.isalpha() and tok.low.endswith("a")
            and nxt is not None and _definite_noun(nxt))
