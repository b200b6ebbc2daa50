"""The shells a person uses: `Archive` (one seeds folder and its index), the `assistant` command
line and the Textual chat. Thin by design: every decision is made in the stages below."""
