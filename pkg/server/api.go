package server

import (
	"encoding/json"
	"net/http"
)

// The JSON API answers in the shape of Prometheus's HTTP API, which the
// operators' tools already parse: {"status":"success","data":…} or
// {"status":"error","errorType":"bad_data","error":"…"}.
type apiReply struct {
	Status    string `json:"status"`
	Data      any    `json:"data,omitempty"`
	ErrorType string `json:"errorType,omitempty"`
	Error     string `json:"error,omitempty"`
}

func writeAPIData(w http.ResponseWriter, data any) {
	writeAPI(w, http.StatusOK, apiReply{Status: "success", Data: data})
}

func writeAPIError(w http.ResponseWriter, code int, err error) {
	typ := "bad_data"
	if code >= 500 {
		typ = "internal"
	}
	writeAPI(w, code, apiReply{Status: "error", ErrorType: typ, Error: err.Error()})
}

func writeAPI(w http.ResponseWriter, code int, r apiReply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	_ = enc.Encode(r) // a write error means the client went away
}
