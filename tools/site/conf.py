"""Sphinx configuration of the course's sites, used by tools/build_site.py (`./course site`).

tools/build_site.py copies the edition's notebooks into a staging folder (the source) and runs
Sphinx with this folder as the configuration folder; it passes `language`, `html_title` and
`html_context` (the language switch, the site's kind) as overrides. Nothing is executed
(`nb_execution_mode = "off"`) and nothing is fetched: the theme's fonts, icons and scripts are
in the installed packages, and no page loads MathJax, require.js or anything from a CDN.
"""

from __future__ import annotations

project = "The Docker Internals Workbook"
author = "The Docker Internals Workbook's authors"
language = "en"
extensions = ["myst_nb", "sphinx_copybutton", "sphinx_togglebutton"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = ["_templates"]
html_static_path = ["_static"]
html_css_files = ["site.css"]

# myst-nb: render the stored outputs, never run a kernel; chapter links to `x.ipynb` become
# page links; headings get anchors so `x.ipynb#heading` links resolve too.
nb_execution_mode = "off"
nb_ipywidgets_js: dict[str, dict[str, str]] = {}  # no require.js or widget scripts from a CDN
nb_merge_streams = True
myst_heading_anchors = 3
myst_enable_extensions = ["attrs_inline"]
nb_render_markdown_format = "myst"
suppress_warnings = ["mystnb.unknown_mime_type", "myst.header"]

# sphinx-copybutton: code only, never a prompt (myst-nb writes none; `$ ` and `# ` shell prompts
# in markdown code blocks are stripped).
copybutton_exclude = ".linenos, .gp, .go"
copybutton_prompt_text = r"\$ |# "
copybutton_prompt_is_regexp = True
copybutton_only_copy_prompt_lines = False

html_theme = "sphinx_book_theme"
html_title = project
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_context: dict[str, str] = {}
html_theme_options = {
    "home_page_in_toc": True,
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "use_source_button": False,
    "use_issues_button": False,
    "use_edit_page_button": False,
    "launch_buttons": {},
    "article_header_end": ["lang-switch.html", "article-header-buttons.html"],
    "footer_content_items": ["engine-footer.html"],
}


def _page_context(app, pagename, templatename, context, doctree) -> None:  # noqa: ANN001
    """The relative way up to the site's root, for the language switch (same page there)."""
    context["labkit_root"] = "../" * pagename.count("/")


def setup(app) -> None:  # noqa: ANN001
    """Sphinx's hook: register the page-context helper."""
    app.connect("html-page-context", _page_context)
