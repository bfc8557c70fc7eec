"""Write-up: the lesson's hand-in, the six answers in the learner's own words, beside the evidence
from their own runs, with hints on what each answer covers; and the same hints for a README
written elsewhere."""

import pandas as pd
import streamlit as st

from fmnist_core.lesson.writeup import CHECKLIST, QUESTIONS, check_answers, find_answers
from fmnist_core.lesson.writeup.readme import read_readme
from fmnist_core.store.writeup_rules import MAX_ANSWER_CHARACTERS
from ui import classroom, writeup
from ui.page import LEARN, frame, notes, page_link
from ui.text import plain

frame(__file__)

st.markdown("Your hand-in for the lesson: answer its six questions **in your own words**, and tick "
            "the evidence from **your own runs** to put beside them. Each answer is saved when you "
            "leave its box (or press Ctrl+Enter), with your seat: your link or code brings it back on "
            "any device. The hints say what a complete answer usually covers; they are not a grade.")


def hint_list(found: dict) -> None:
    """What the answer covers (✓) and does not yet (○), then the warnings."""
    lines = [f"- ✓ {item}" for item in found["covers"]] + [f"- ○ {item}" for item in found["missing"]]
    st.markdown("\n".join(lines))
    for warning in found["warnings"]:
        st.warning(plain(warning), icon=":material/lightbulb:")


def exhibit_card(exhibit) -> None:
    """One piece of evidence, with its box to put it in the write-up."""
    always = exhibit.key == writeup.ALWAYS
    st.checkbox(f"Put “{exhibit.title}” in my write-up", key=writeup.tick_key(exhibit),
                value=writeup.in_writeup(exhibit), on_change=writeup.tick, args=(exhibit,),
                disabled=always, help="Every write-up has the table of its runs." if always else None)
    st.markdown(exhibit.text)
    if exhibit.png:
        st.image(exhibit.png, caption=plain(exhibit.alt), alt=exhibit.alt, output_format="PNG")
    if exhibit.table:
        with st.expander("Its numbers, as a table"):
            st.table(pd.DataFrame(exhibit.table), hide_index=True, alt=exhibit.title)


def write_here() -> None:
    problem = writeup.load()
    with notes():
        if problem:
            st.warning(problem, icon=":material/cloud_off:")
    found = writeup.hints()
    exhibits = writeup.exhibits()
    for question, text in QUESTIONS.items():
        with st.container(border=True):
            st.header(f"{question} · {text}")
            answer, evidence = st.columns(2)
            with answer:
                st.text_area("Your answer (Markdown)", key=writeup.answer_key(question), height=160,
                             max_chars=MAX_ANSWER_CHARACTERS, disabled=bool(problem),
                             on_change=writeup.save_answer, args=(question,))
                st.caption(f"A complete answer usually covers ({len(CHECKLIST[question])}):")
                with notes():  # its warnings come and go: what follows keeps its place, and focus
                    hint_list(found[str(question)])
            with evidence:
                st.markdown("**Evidence from your runs**")
                shown = exhibits[question]
                if not shown:
                    st.caption("Train a model (Build & train) and its numbers appear here.")
                for exhibit in shown:
                    with st.container(border=True):
                        exhibit_card(exhibit)
    hand_in_and_download(problem)


def hand_in_and_download(problem: str | None) -> None:
    st.header("Hand in")
    membership, info = classroom.membership()
    handed = writeup.handed_in()
    if handed:
        st.success(f"Handed in at {handed:%H:%M} (UTC) on {handed:%d %b %Y}. Your teacher sees what "
                   "you change after that too; hand in again to say it is finished.",
                   icon=":material/task_alt:")
    if membership is not None and info is not None:
        if st.button("Hand in to my teacher", type="primary", icon=":material/send:",
                     disabled=bool(problem), key="writeup_hand_in"):
            if refused := writeup.hand_in():
                st.warning(refused)
            else:
                st.rerun()
    else:
        st.caption("You are in no class: join one on Home to hand your write-up in to a teacher. "
                   "You can always download it.")
    st.download_button("Download my write-up (.zip)", writeup.zip_file(), "write-up.zip",
                       "application/zip", icon=":material/download:", key="writeup_zip",
                       help="README.md with your answers and the evidence you ticked (its pictures "
                       "under figures/), and a notebook of each of your runs: it shows as it is "
                       "on GitHub.")


def check_elsewhere() -> None:
    st.markdown("Paste a README written elsewhere (Colab, GitHub), or upload it: the six answers "
                "are found however it is laid out (headings, numbered lines, “Answer:”), and get "
                "the same hints, against the lesson's model and its exercises.")
    pasted = st.text_area("The README's text", key="writeup_pasted", height=200)
    uploaded = st.file_uploader("…or upload it (.md or .txt)", type=["md", "txt", "markdown"],
                                key="writeup_upload")
    try:
        text = read_readme(uploaded.getvalue()) if uploaded else pasted
    except ValueError as refused:
        st.warning(str(refused))
        return
    if not text.strip():
        return
    found_answers = find_answers(text)
    found = check_answers(found_answers)  # what `check(text)` gives, the answers found once
    for question, asked in QUESTIONS.items():
        with st.container(border=True):
            st.header(f"{question} · {asked}")
            if not found[str(question)]["found"]:
                st.caption("No answer found for this question.")
                continue
            st.code(found_answers[question], language=None, wrap_lines=True)
            hint_list(found[str(question)])


written, elsewhere = st.tabs(["Write it here", "Check a README written elsewhere"])
with written:
    write_here()
with elsewhere:
    check_elsewhere()
page_link(LEARN, "The lesson's answers, with your runs: Learn", ":material/school:")
