package portaltest

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// The methods; p.mu is held and the parameters are checked.

type loginXML struct {
	Message string `xml:"message"`
	HashKey string `xml:"hash_key"`
}

func (p *Portal) login(q url.Values) answer {
	if q.Get("api_user") != p.opt.APIUser || q.Get("api_key") != p.opt.APIKey {
		return p.fail("api_login", "wrong api_user or api_key")
	}
	now := p.opt.Now()
	for h, exp := range p.hashes {
		if !now.Before(exp) {
			delete(p.hashes, h)
		}
	}
	h := p.opt.NewHash()
	p.hashes[h] = now.Add(HashLifetime)
	p.logins++
	return ok("api_login", loginXML{HashKey: h})
}

type orderRefXML struct {
	ID      int    `xml:"id"`
	Status  string `xml:"status"`
	Created string `xml:"created"`
}

type ordersXML struct {
	Order []orderRefXML `xml:"order"`
}

const created = "2006-01-02 15:04:05"

// since lists the orders created on or after the date (A6), by id.
func (p *Portal) since(date string) []*Order {
	var out []*Order
	for _, o := range p.orders {
		if o.Created.In(p.opt.Location).Format(time.DateOnly) >= date {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(a, b *Order) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func (p *Portal) listOrders(q url.Values) answer {
	var x ordersXML
	for _, o := range p.since(q.Get("date")) {
		x.Order = append(x.Order, orderRefXML{o.ID, o.Status, o.Created.In(p.opt.Location).Format(created)})
	}
	return ok("orders", x)
}

type customersXML struct {
	Customer []struct {
		ID int `xml:"id"`
	} `xml:"customer"`
}

func (p *Portal) listCustomers(q url.Values) answer {
	var x customersXML
	seen := map[int]bool{}
	for _, o := range p.since(q.Get("date")) {
		if o.CustomerID != 0 && !seen[o.CustomerID] {
			seen[o.CustomerID] = true
			x.Customer = append(x.Customer, struct {
				ID int `xml:"id"`
			}{o.CustomerID})
		}
	}
	return ok("customers", x)
}

type orderXML struct {
	ID         int    `xml:"id"`
	Status     string `xml:"status"`
	Socket     string `xml:"socket"`
	ServiceUID string `xml:"service_uid"`
	Date       string `xml:"date"`
	Customer   string `xml:"customer"`
	XSPCID     string `xml:"xspcid"`
	Created    string `xml:"created"`
}

type orderInfoXML struct {
	Order orderXML `xml:"order"`
}

func (p *Portal) order(q url.Values) (*Order, string) {
	id, _ := strconv.Atoi(q.Get("id"))
	o := p.orders[id]
	if o == nil {
		return nil, fmt.Sprintf("no order %d", id)
	}
	return o, ""
}

func (p *Portal) orderInfo(q url.Values) answer {
	o, reason := p.order(q)
	if o == nil {
		return p.fail("order_info", reason)
	}
	x := orderXML{ID: o.ID, Status: o.Status, Socket: o.Socket, ServiceUID: o.ServiceUID, Date: o.Date,
		XSPCID: o.XSPCID, Created: o.Created.In(p.opt.Location).Format(created)}
	if o.CustomerID != 0 {
		x.Customer = strconv.Itoa(o.CustomerID)
	}
	return ok("order_info", orderInfoXML{x})
}

type customerXML struct {
	ID        int    `xml:"id"`
	Socket    string `xml:"socket"`
	Serial    string `xml:"serial"`
	FirstName string `xml:"firstname"`
	Surname   string `xml:"surname"`
	Email     string `xml:"email"`
	Address   string `xml:"address"`
	Zip       string `xml:"zip"`
	City      string `xml:"city"`
	Data      struct {
		Phone   string `xml:"phone"`
		Premise string `xml:"premise"`
	} `xml:"data"`
}

type customerInfoXML struct {
	Customer customerXML `xml:"customer"`
}

func (p *Portal) customerInfo(q url.Values) answer {
	id, _ := strconv.Atoi(q.Get("id"))
	c, found := p.customers[id]
	if !found {
		return p.fail("customer_info", fmt.Sprintf("no customer %d", id))
	}
	x := customerXML{ID: c.ID, Socket: c.Socket, Serial: c.Serial, FirstName: c.FirstName, Surname: c.Surname,
		Email: c.Email, Address: c.Address, Zip: c.Zip, City: c.City}
	x.Data.Phone, x.Data.Premise = c.Phone, c.Premise
	return ok("customer_info", customerInfoXML{x})
}

type orderLogXML struct {
	Entry []logEntry `xml:"entry"`
}

func (p *Portal) orderLog(q url.Values) answer {
	o, reason := p.order(q)
	if o == nil {
		return p.fail("order_log", reason)
	}
	return ok("order_log", orderLogXML{slices.Clone(p.logs[o.ID])})
}

func (p *Portal) setStatus(q url.Values) answer {
	o, reason := p.order(q)
	if o == nil {
		return p.fail("set_status", reason)
	}
	to := q.Get("status")
	t := Transition{Order: o.ID, From: o.Status, To: to}
	switch {
	case to == o.Status:
		p.repeats = append(p.repeats, t)
		return ok("set_status", messageXML{"status unchanged"})
	case rank(o.Status) == 4 || rank(to) < rank(o.Status):
		return p.fail("set_status", fmt.Sprintf("status change from %s to %s is backwards", o.Status, to))
	}
	o.Status = to
	p.transitions = append(p.transitions, t)
	p.log(o.ID, "system", fmt.Sprintf("status changed from %s to %s", t.From, t.To))
	return ok("set_status", messageXML{"status changed"})
}

func (p *Portal) addMessage(q url.Values) answer {
	if q.Get("api_user") != p.opt.APIUser {
		return p.fail("add_message", fmt.Sprintf("api_user %s has no privileges", q.Get("api_user")))
	}
	o, reason := p.order(q)
	if o == nil {
		return p.fail("add_message", reason)
	}
	m := Message{Order: o.ID, APIUser: q.Get("api_user"), Type: q.Get("type"), Text: q.Get("message")}
	p.messages = append(p.messages, m)
	p.log(o.ID, m.Type, m.Text)
	return ok("add_message", messageXML{"message added"})
}

func (p *Portal) log(id int, typ, msg string) {
	p.logs[id] = append(p.logs[id], logEntry{Time: p.opt.Now().In(p.opt.Location).Format(created), Type: typ, Message: msg})
}
