// Command bcs-dialog runs the dialog's conversation corpus (bot/testdata/corpus)
// through the real dialog engine, with the categories of a directory file, and
// prints its figures: how many conversations end with the right case, how many
// messages a citizen sends for a report, how often the bot misunderstands, and
// its longest message. With -v it prints every conversation that went wrong,
// with its transcript. It uses no network and no database.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"banchengshi/bot/corpus"
	"banchengshi/staff"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bcs-dialog:", err)
		os.Exit(1)
	}
}

func run() error {
	dir := flag.String("corpus", "bot/testdata/corpus", "folder of corpus files (*.txt)")
	directory := flag.String("directory", "configs/directory.example.yaml", "directory file whose categories the dialog offers")
	verbose := flag.Bool("v", false, "print every conversation that went wrong or misunderstood, with its transcript")
	all := flag.Bool("all", false, "with -v, print every conversation's transcript")
	literal := flag.Bool("literal", false, "citizens never follow a question's example to answer two things at once")
	list := flag.Bool("list", false, "print one line per conversation: messages, misunderstandings, right or not")
	flag.Parse()
	dirFile, err := staff.LoadDirectory(*directory)
	if err != nil {
		return err
	}
	convs, err := corpus.LoadDir(*dir)
	if err != nil {
		return err
	}
	results, err := corpus.Run(context.Background(), dirFile.Categories(), convs, corpus.Options{Literal: *literal})
	if err != nil {
		return err
	}
	if *list {
		for _, r := range results {
			mark := "ok"
			if !r.Right() {
				mark = "WRONG"
			}
			fmt.Printf("%3d msgs %d missed %-5s %s:%d %s\n", r.Messages, r.Misunderstandings, mark, r.Conversation.File, r.Conversation.Line, r.Conversation.Title)
		}
	}
	if *verbose {
		for _, r := range results {
			if r.Right() && r.Misunderstandings == 0 && !*all {
				continue
			}
			c := r.Conversation
			fmt.Printf("== %s:%d %s (%d messages, %d misunderstood)\n", c.File, c.Line, c.Title, r.Messages, r.Misunderstandings)
			for _, p := range r.Problems {
				fmt.Println("   !", p)
			}
			fmt.Println("   " + strings.Join(r.Transcript, "\n   "))
		}
	}
	f := corpus.Sum(results)
	fmt.Printf("conversations:            %d\n", f.Conversations)
	fmt.Printf("right case (completion):  %d/%d = %.1f%%\n", f.Right, f.Conversations, 100*float64(f.Right)/float64(max(1, f.Conversations)))
	fmt.Printf("citizen messages/report:  median %d, max %d (over %d reports)\n", f.MedianMessages, f.MaxMessages, f.Reports)
	fmt.Printf("standard report, story first: own matter at most %d messages (%d reports), for somebody else at most %d (%d reports)\n",
		f.StandardSelf, f.StandardSelfN, f.StandardProxy, f.StandardProxyN)
	fmt.Printf("misunderstandings:        %.2f per conversation, %d total, at most %d in one\n",
		float64(f.Misunderstandings)/float64(max(1, f.Conversations)), f.Misunderstandings, f.MaxMisunderstandings)
	fmt.Printf("longest bot message:      %d characters (summary excluded)\n", f.Longest)
	fmt.Printf("longest summary:          %d characters\n", f.Summary)
	if *verbose {
		fmt.Printf("\nthe longest message:\n%s\n\nthe longest summary:\n%s\n", f.LongestText, f.SummaryText)
	}
	return nil
}
