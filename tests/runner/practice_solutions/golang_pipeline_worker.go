package main

import (
	"sort"
	"strconv"
	"strings"
	"sync"
)

// compressing lets one compress run at a time: compress itself insists on it.
var compressing sync.Mutex

// executePipeline connects each job's output to the next job's input and waits for all.
func executePipeline(jobs ...job) {
	var group sync.WaitGroup
	in := make(chan string)
	close(in)
	for _, current := range jobs {
		out := make(chan string)
		group.Add(1)
		go func(current job, in, out chan string) {
			defer group.Done()
			defer close(out)
			current(in, out)
		}(current, in, out)
		in = out
	}
	group.Wait()
}

// encryptAndCompress sends encrypt(data)+"~"+encrypt(compress(data)) for each value, working
// on every value at once.
func encryptAndCompress(in, out chan string) {
	var group sync.WaitGroup
	for data := range in {
		group.Add(1)
		go func(data string) {
			defer group.Done()
			var plain, packed string
			var both sync.WaitGroup
			both.Add(2)
			go func() { defer both.Done(); plain = encrypt(data) }()
			go func() {
				defer both.Done()
				compressing.Lock()
				compressed := compress(data)
				compressing.Unlock()
				packed = encrypt(compressed)
			}()
			both.Wait()
			out <- plain + "~" + packed
		}(data)
	}
	group.Wait()
}

// multiEncrypt sends encrypt(th+data) for th 0..5, concatenated in that order.
func multiEncrypt(in, out chan string) {
	var group sync.WaitGroup
	for data := range in {
		group.Add(1)
		go func(data string) {
			defer group.Done()
			parts := make([]string, 6)
			var all sync.WaitGroup
			for th := range parts {
				all.Add(1)
				go func(th int) {
					defer all.Done()
					parts[th] = encrypt(strconv.Itoa(th) + data)
				}(th)
			}
			all.Wait()
			out <- strings.Join(parts, "")
		}(data)
	}
	group.Wait()
}

// generateResult sends every value it received, sorted and joined with "_".
func generateResult(in, out chan string) {
	var values []string
	for data := range in {
		values = append(values, data)
	}
	sort.Strings(values)
	out <- strings.Join(values, "_")
}
