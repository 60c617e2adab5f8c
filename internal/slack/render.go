package slack

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's limits on one message.
const (
	MaxBlocks    = 50
	MaxTextChars = 3000
)

// Response types.
const (
	Ephemeral = "ephemeral"
	InChannel = "in_channel"
)

// Message is what the bot sends to a response_url, returns as an
// acknowledgement, or posts through the Web API.
type Message struct {
	ResponseType    string        `json:"response_type,omitempty"`
	Text            string        `json:"text"`
	Blocks          []slack.Block `json:"blocks,omitempty"`
	ReplaceOriginal bool          `json:"replace_original"`
}

// builder collects blocks and keeps a message within Slack's limits: it
// truncates text objects at MaxTextChars and stops at MaxBlocks, saying so
// in the last block.
type builder struct {
	blocks  []slack.Block
	dropped int
}

func (b *builder) add(bl slack.Block) {
	if len(b.blocks) >= MaxBlocks-1 { // keep one block for the "more" note
		b.dropped++
		return
	}
	b.blocks = append(b.blocks, bl)
}

func (b *builder) header(text string) {
	// Header text is plain text, at most 150 characters.
	b.add(slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, clip(text, 150), false, false)))
}

func (b *builder) section(mrkdwn string) {
	if strings.TrimSpace(mrkdwn) == "" {
		return
	}
	b.add(slack.NewSectionBlock(md(mrkdwn), nil, nil))
}

func (b *builder) context(mrkdwn string) {
	b.add(slack.NewContextBlock("", md(mrkdwn)))
}

func (b *builder) divider() { b.add(slack.NewDividerBlock()) }

// code adds preformatted text, split over as many sections as it needs,
// each within the text limit, breaking at line ends. The caller escapes it
// (escCode or table).
func (b *builder) code(text string) {
	for _, chunk := range chunkLines(text, MaxTextChars-8) {
		b.section("```" + chunk + "```")
	}
}

// codeTable adds a table made by table(): like code, split over as many
// sections as it needs, but every section starts with the header row, so
// a long table read in Slack keeps its column names.
func (b *builder) codeTable(text string) {
	head, body, ok := strings.Cut(text, "\n")
	if !ok {
		b.code(text)
		return
	}
	room := MaxTextChars - 8 - utf8.RuneCountInString(head) - 1
	if room < 100 { // a header too wide to repeat: plain chunks
		b.code(text)
		return
	}
	for _, chunk := range chunkLines(body, room) {
		b.section("```" + head + "\n" + chunk + "```")
	}
}

// lines adds mrkdwn lines, split over sections at line ends.
func (b *builder) lines(text string) {
	for _, chunk := range chunkLines(text, MaxTextChars) {
		b.section(chunk)
	}
}

func (b *builder) done() []slack.Block {
	out := b.blocks
	if b.dropped > 0 {
		out = append(out, slack.NewContextBlock("", md(fmt.Sprintf("… %d more block(s) left out to stay within Slack's %d-block limit; narrow the request to see them.", b.dropped, MaxBlocks))))
	}
	return out
}

func md(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, clip(text, MaxTextChars), false, false)
}

func plain(text string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, text, false, false)
}

// clip cuts s to at most n characters, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	cut := string(r[:n-1]) + "…"
	if strings.Count(cut, "```")%2 == 1 { // keep a code block closed
		cut = string(r[:n-4]) + "…```"
	}
	return cut
}

// chunkLines splits text into pieces of at most n characters, at line ends
// when it can.
func chunkLines(text string, n int) []string {
	var out []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if curLen > 0 {
			out = append(out, cur.String())
			cur.Reset()
			curLen = 0
		}
	}
	for _, line := range strings.Split(text, "\n") {
		l := utf8.RuneCountInString(line)
		for l > n { // a single over-long line
			flush()
			r := []rune(line)
			out = append(out, string(r[:n]))
			line = string(r[n:])
			l = utf8.RuneCountInString(line)
		}
		if curLen > 0 && curLen+1+l > n {
			flush()
		}
		if curLen > 0 {
			cur.WriteByte('\n')
			curLen++
		}
		cur.WriteString(line)
		curLen += l
	}
	flush()
	return out
}

// esc escapes text for mrkdwn: Slack reads &, < and > as control characters.
func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// escCode escapes text placed inside a ``` block, where backticks could end it.
func escCode(s string) string {
	return strings.ReplaceAll(esc(s), "```", "'''")
}

// table renders rows as a fixed-width text table (escaped for a code block).
func table(head []string, rows [][]string) string {
	width := make([]int, len(head))
	for i, h := range head {
		width[i] = utf8.RuneCountInString(h)
	}
	for _, r := range rows {
		for i, c := range r {
			if i < len(width) {
				width[i] = max(width[i], utf8.RuneCountInString(c))
			}
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)))
			}
		}
		b.WriteByte('\n')
	}
	line(head)
	for _, r := range rows {
		line(r)
	}
	return escCode(strings.TrimRight(b.String(), "\n"))
}

// errorMessage is an ephemeral error with what to do next.
func errorMessage(problem, fix string) *Message {
	var b builder
	text := ":warning: " + esc(problem)
	if fix != "" {
		text += "\n" + fix
	}
	b.lines(text)
	return &Message{ResponseType: Ephemeral, Text: clip(problem, 300), Blocks: b.done()}
}

func textMessage(kind, text string) *Message {
	var b builder
	b.lines(text)
	return &Message{ResponseType: kind, Text: clip(text, 300), Blocks: b.done()}
}

func mention(userID string) string {
	if userID == "" {
		return "someone"
	}
	return "<@" + userID + ">"
}
