// Package faultproxy is a fault-injecting HTTP reverse proxy for end-to-end
// tests. It sits between an AWS SDK client and a local AWS emulator and, for
// the actions it is told to, answers as AWS does when it throttles, fails or
// drops a connection, so that the tests can prove how our code behaves then.
//
// It speaks the awsquery protocol used by SNS (and SQS's query API): a POST
// with a form-encoded body whose Action names the operation, and errors as
// XML ErrorResponse documents. Requests of actions without a fault are
// forwarded untouched.
package faultproxy

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Fault is what the proxy does with a call.
type Fault int

const (
	// Pass forwards the call untouched.
	Pass Fault = iota
	// Throttle answers 400 with error code Throttling (type Sender), which
	// the SDK classifies as throttling. The call is not forwarded.
	Throttle
	// ServerError answers 500 with error code InternalError (type Receiver).
	// The call is not forwarded.
	ServerError
	// Unavailable answers 503 with error code ServiceUnavailable (type
	// Receiver). The call is not forwarded.
	Unavailable
	// ResetAfterForward forwards the call, so that it takes effect, waits
	// for the target's answer and then closes the client's connection
	// without a response.
	ResetAfterForward
	// FailEntries answers a PublishBatch call, without forwarding it, with
	// 200 and every entry failed (code InternalError, SenderFault false). On
	// any other action it behaves as ServerError.
	FailEntries
)

var faultNames = [...]string{"Pass", "Throttle", "ServerError", "Unavailable", "ResetAfterForward", "FailEntries"}

func (f Fault) String() string {
	if f >= 0 && int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "Fault(" + strconv.Itoa(int(f)) + ")"
}

const snsNamespace = "http://sns.amazonaws.com/doc/2010-03-31/"

// Proxy is an http.Handler that forwards to a target and injects faults. It
// is safe for concurrent use.
type Proxy struct {
	forward *httputil.ReverseProxy
	now     func() time.Time

	mu      sync.Mutex
	scripts map[string][]Fault
	windows map[string]window
	calls   map[string]int
	faults  map[string]int
	reqID   int
}

type window struct {
	fault Fault
	until time.Time
}

// New returns a proxy to target (scheme and host; a path is prefixed to the
// requests' paths). The request's Host header is kept, so that signatures
// computed for the proxy's address stay valid.
func New(target *url.URL) *Proxy {
	p := &Proxy{now: time.Now}
	p.forward = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
		},
	}
	p.Reset()
	return p
}

// Script makes the next len(faults) calls of action get these faults, in
// order, after any faults already scripted for it. A scripted fault comes
// before a FailFor window.
func (p *Proxy) Script(action string, faults ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scripts[action] = append(p.scripts[action], faults...)
}

// FailFor makes every call of action get f until d has passed, replacing an
// earlier window for action.
func (p *Proxy) FailFor(action string, f Fault, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.windows[action] = window{fault: f, until: p.now().Add(d)}
}

// Calls reports the calls of action seen, forwarded or not.
func (p *Proxy) Calls(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[action]
}

// Faults reports the calls of action that got a fault other than Pass.
func (p *Proxy) Faults(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.faults[action]
}

// Reset clears the scripts, the windows and the counts.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scripts = map[string][]Fault{}
	p.windows = map[string]window{}
	p.calls = map[string]int{}
	p.faults = map[string]int{}
}

// ServeHTTP forwards r or answers it with the fault due for its action.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		http.Error(w, "faultproxy: reading the request: "+err.Error(), http.StatusBadGateway)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	action := form.Get("Action")
	fault, reqID := p.next(action)

	if fault == FailEntries && action != "PublishBatch" {
		fault = ServerError
	}
	switch fault {
	case Throttle:
		writeError(w, http.StatusBadRequest, "Sender", "Throttling", "Rate exceeded", reqID)
	case ServerError:
		writeError(w, http.StatusInternalServerError, "Receiver", "InternalError", "Internal error injected by faultproxy", reqID)
	case Unavailable:
		writeError(w, http.StatusServiceUnavailable, "Receiver", "ServiceUnavailable", "Service unavailable injected by faultproxy", reqID)
	case FailEntries:
		writeFailedEntries(w, form, reqID)
	case ResetAfterForward:
		p.forward.ServeHTTP(httptest.NewRecorder(), r) // the answer is dropped
		dropConnection(w)
	default:
		p.forward.ServeHTTP(w, r)
	}
}

// next counts a call of action and takes the fault due for it.
func (p *Proxy) next(action string) (Fault, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[action]++
	p.reqID++
	reqID := fmt.Sprintf("faultproxy-%08d", p.reqID)
	f := Pass
	if s := p.scripts[action]; len(s) > 0 {
		f = s[0]
		p.scripts[action] = s[1:]
	} else if win, ok := p.windows[action]; ok {
		if p.now().Before(win.until) {
			f = win.fault
		} else {
			delete(p.windows, action)
		}
	}
	if f != Pass {
		p.faults[action]++
	}
	return f, reqID
}

func writeError(w http.ResponseWriter, status int, typ, code, msg, reqID string) {
	writeXML(w, status, reqID, fmt.Sprintf(`<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		snsNamespace, typ, code, msg, reqID))
}

// writeFailedEntries answers a PublishBatch call with every entry failed as a
// server fault.
func writeFailedEntries(w http.ResponseWriter, form url.Values, reqID string) {
	var failed strings.Builder
	for _, id := range entryIDs(form) {
		fmt.Fprintf(&failed, `<member><Id>%s</Id><Code>InternalError</Code><Message>Internal error injected by faultproxy</Message><SenderFault>false</SenderFault></member>`, html.EscapeString(id))
	}
	writeXML(w, http.StatusOK, reqID, fmt.Sprintf(`<PublishBatchResponse xmlns="%s"><PublishBatchResult><Successful/><Failed>%s</Failed></PublishBatchResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></PublishBatchResponse>`,
		snsNamespace, failed.String(), reqID))
}

// entryIDs lists PublishBatchRequestEntries.member.N.Id for N = 1, 2, ...
func entryIDs(form url.Values) []string {
	var ids []string
	for n := 1; ; n++ {
		key := "PublishBatchRequestEntries.member." + strconv.Itoa(n) + ".Id"
		if !form.Has(key) {
			return ids
		}
		ids = append(ids, form.Get(key))
	}
}

func writeXML(w http.ResponseWriter, status int, reqID, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("x-amzn-RequestId", reqID)
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// dropConnection closes the client's connection without a response, with a
// TCP reset where it can.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler) // not hijackable (HTTP/2): the server aborts the stream
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}
